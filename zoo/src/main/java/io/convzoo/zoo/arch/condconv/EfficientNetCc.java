package io.convzoo.zoo.arch.condconv;

import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.Identity;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.arch.SequentialClassifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * timm's {@code EfficientNet} (timm/models/efficientnet.py) as {@code _gen_efficientnet_condconv} builds it, under the
 * official names: {@code conv_stem} (3×3/2) + {@code bn1} + SiLU, {@code blocks.S.B} (stage S, block B:
 * {@link DepthwiseSeparableResidual} for {@code ds}, {@link InvertedResidual} for {@code ir}, with CondConv experts
 * where the arch string has {@code cc}), {@code conv_head} (1×1) + {@code bn2} + SiLU, {@code global_pool},
 * {@code classifier}. The stages come from timm's arch_def strings, decoded and depth-scaled as timm's
 * {@code decode_arch_def} does ({@link #decodeArchDef}); timm's symmetric padding ({@code pad_type=''}), BatchNorm
 * eps 1e-5. Dropout and drop-path are training-only and left out. With {@code numClasses = 0} the forward returns the
 * pooled features.
 */
public final class EfficientNetCc extends SequentialClassifier {

    /** One decoded block string: {@code ds} or {@code ir}, kernel, stride, expansion, output channels, SE ratio, experts. */
    record BlockDef(String type, int kernel, int stride, double expansion, int outChannels, double seRatio, int experts) {}

    private static final Pattern OPTION = Pattern.compile("([a-z]+)(\\d.*)");

    private EfficientNetCc(String name, int inputChannels) {
        super(name, inputChannels);
    }

    /**
     * The network of {@code archDef} (one list of block strings per stage, timm's notation), depth-scaled by
     * {@code depthMultiplier}, each stage's experts times {@code expertsMultiplier}; stem and head widths
     * rounded as timm's {@code round_channels}.
     */
    public static EfficientNetCc build(String id, List<List<String>> archDef, double depthMultiplier,
                                       int expertsMultiplier, int stem, int numFeatures, ModelArgs args) {
        Checks.require(args.numClasses() >= 0, id, "numClasses must be >= 0, got " + args.numClasses());
        Checks.require(!args.getBoolean(ResNet.FEATURES_ONLY, false), id, ResNet.FEATURES_ONLY
                + " is for the ResNet backbones; use numClasses=0 for EfficientNet's pooled features");
        EfficientNetCc net = new EfficientNetCc(id + " (EfficientNet-CondConv)", args.inputChannels());
        int width = roundChannels(stem);
        net.add("conv_stem", Layers.conv(width, 3, 2, padding(3, 2), 1, 1, false));
        net.add("bn1", Layers.batchNorm());
        net.add("act1", Layers.silu());
        NamedSequential blocks = new NamedSequential();
        List<List<BlockDef>> stages = decodeArchDef(archDef, depthMultiplier, expertsMultiplier);
        for (int s = 0; s < stages.size(); s++) {
            NamedSequential stage = new NamedSequential();
            for (int b = 0; b < stages.get(s).size(); b++) {
                BlockDef def = stages.get(s).get(b);
                int stride = b == 0 ? def.stride() : 1;
                stage.add(Integer.toString(b), def.type().equals("ds") ? new DepthwiseSeparableResidual(width, def, stride)
                        : new InvertedResidual(width, def, stride));
                width = def.outChannels();
            }
            blocks.add(Integer.toString(s), stage);
        }
        net.add("blocks", blocks);
        int features = roundChannels(numFeatures);
        net.add("conv_head", Layers.conv(features, 1, 1, 0, 1, 1, false));
        net.add("bn2", Layers.batchNorm());
        net.add("act2", Layers.silu());
        net.add("global_pool", new GlobalAvgPool());
        net.add("classifier", args.numClasses() == 0 ? new Identity() : Linear.builder().setUnits(args.numClasses()).build());
        return net;
    }

    /**
     * timm's {@code decode_arch_def} for the {@code ds} and {@code ir} strings the CondConv EfficientNets use
     * ({@code r} repeats, {@code k} kernel, {@code s} stride, {@code e} expansion, {@code c} channels, {@code se}
     * ratio, {@code cc} experts), with {@code _scale_stage_depth}'s ceil scaling of each stage's repeats.
     */
    static List<List<BlockDef>> decodeArchDef(List<List<String>> archDef, double depthMultiplier, int expertsMultiplier) {
        List<List<BlockDef>> stages = new ArrayList<>();
        for (List<String> strings : archDef) {
            List<BlockDef> defs = new ArrayList<>();
            List<Integer> repeats = new ArrayList<>();
            for (String s : strings) {
                String[] ops = s.split("_");
                Checks.require(ops[0].equals("ds") || ops[0].equals("ir"), "EfficientNetCc", "block type must be ds or ir, got "
                        + s);
                Map<String, String> options = new HashMap<>();
                for (int i = 1; i < ops.length; i++) {
                    Matcher m = OPTION.matcher(ops[i]);
                    Checks.require(m.matches(), "EfficientNetCc", "cannot read option '" + ops[i] + "' of " + s);
                    options.put(m.group(1), m.group(2));
                }
                int experts = Integer.parseInt(options.getOrDefault("cc", "0"));
                defs.add(new BlockDef(ops[0], Integer.parseInt(options.get("k")), Integer.parseInt(options.get("s")),
                        ops[0].equals("ds") ? 1.0 : Double.parseDouble(options.get("e")), Integer.parseInt(options.get("c")),
                        Double.parseDouble(options.getOrDefault("se", "0")), experts * (experts > 0 ? expertsMultiplier : 1)));
                repeats.add(Integer.parseInt(options.get("r")));
            }
            stages.add(scaleStageDepth(defs, repeats, depthMultiplier));
        }
        return stages;
    }

    /** timm's {@code _scale_stage_depth} (depth_trunc 'ceil'): the stage's total scaled, spread from the last string back. */
    private static List<BlockDef> scaleStageDepth(List<BlockDef> defs, List<Integer> repeats, double multiplier) {
        int total = repeats.stream().mapToInt(Integer::intValue).sum();
        int scaled = (int) Math.ceil(total * multiplier);
        int[] counts = new int[defs.size()];
        for (int i = defs.size() - 1; i >= 0; i--) {
            int r = repeats.get(i);
            counts[i] = Math.max(1, (int) Math.rint((double) r / total * scaled));
            total -= r;
            scaled -= counts[i];
        }
        List<BlockDef> out = new ArrayList<>();
        for (int i = 0; i < defs.size(); i++) {
            for (int j = 0; j < counts[i]; j++) {
                out.add(defs.get(i));
            }
        }
        return out;
    }

    /** timm's {@code round_channels} at multiplier 1 ({@code make_divisible(c, 8)}); also the blocks' expanded width. */
    static int roundChannels(double channels) {
        return ConvMath.makeDivisible(channels, 8, 0.9);
    }

    /** timm's symmetric padding ({@code get_padding}, dilation 1): ((stride − 1) + (k − 1)) / 2. */
    static int padding(int kernel, int stride) {
        return (stride - 1 + kernel - 1) / 2;
    }

    /**
     * The SE width over {@code channels} (the expanded width): timm's {@code round(channels * se_ratio / exp_ratio)},
     * the ratio taken relative to the block input (se_from_exp off); Python rounds halves to even, as {@link Math#rint}.
     */
    static int seChannels(int channels, BlockDef def) {
        return (int) Math.rint(channels * (def.seRatio() / def.expansion()));
    }
}
