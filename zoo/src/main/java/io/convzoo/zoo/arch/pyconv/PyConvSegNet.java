package io.convzoo.zoo.arch.pyconv;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ChildNames;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.Dropout2d;
import io.convzoo.blocks.pyconv.PyConvHead;
import io.convzoo.blocks.pyconv.PyramidSpec;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PyConvSegNet (Duta et al. 2020, iduta/pyconvsegnet {@code model/pyconvsegnet.py}), with the
 * official parameter names: a PyConvResNet or PyConvHGResNet backbone as {@code layer0} (conv1,
 * bn1, relu) and {@code layer1..layer4}, dilated to output stride 8 or 16 exactly as the official
 * {@code build_backbone_layers} does it ({@link PyConvResNet.Builder#outputStride}); the PyConv head
 * ({@code pyconvhead}: local and global PyConv blocks merged to 256 channels); {@code cls}
 * (Dropout2d, 1×1 conv to the classes); and the auxiliary head {@code aux} on layer3 (3×3 conv to
 * 256, BN, ReLU, Dropout2d, 1×1 conv), run only in training. The logits are resized bilinearly
 * with aligned corners to the input size (the official zoom factor 8 on an input of side 8k + 1).
 *
 * <p>Outputs: eval, the (N, classes, H, W) logits; training, the main and the auxiliary logits (the
 * official training loss is main + 0.4 × aux cross-entropy).
 */
public final class PyConvSegNet extends DataflowBlock {

    /** ModelArgs key: backbone output stride, 8 (the official ADE20K configuration) or 16. */
    public static final String OUTPUT_STRIDE = "outputStride";
    /** ModelArgs key: dropout rate of cls and aux (official 0.1). */
    public static final String DROPOUT = "dropout";
    /** The official ADE20K configuration's output stride. */
    public static final int DEFAULT_OUTPUT_STRIDE = 8;
    /** The official dropout rate. */
    public static final float DEFAULT_DROPOUT = 0.1f;
    /** The official weight of the auxiliary loss (ADE20K config {@code aux_weight}). */
    public static final float AUX_WEIGHT = 0.4f;

    /**
     * Widths of the head: local and global context channels, pooled bins, merged channels, the
     * auxiliary head's hidden channels, and the pyramid of both PyConv blocks.
     */
    public record Head(int localChannels, int globalChannels, int bins, int mergeChannels, int auxChannels,
                       PyramidSpec pyramid) {
        /** The official head: 512 local, 512 global, 9 bins, merged to 256; aux 256. */
        public static final Head OFFICIAL = new Head(512, 512, 9, 256, 256, PyramidSpec.OFFICIAL_HEAD);
    }

    private final String name;
    private final int inputChannels;
    private final Block layer0;
    private final Block layer1;
    private final Block layer2;
    private final Block layer3;
    private final Block layer4;
    private final Block head;
    private final Block aux;
    private final Block cls;

    private PyConvSegNet(String name, ResNet backbone, int backboneChannels, Head widths, ModelArgs args) {
        this.name = name;
        this.inputChannels = args.inputChannels();
        Checks.require(args.numClasses() > 1, name, "numClasses must be > 1 (a class per output map), got "
                + args.numClasses());
        float dropout = (float) args.getDouble(DROPOUT, DEFAULT_DROPOUT);
        Map<String, Block> parts = children(backbone);
        layer0 = addChildBlock("layer0", new NamedSequential()
                .add("0", parts.get("conv1")).add("1", parts.get("bn1")).add("2", parts.get("relu")));
        layer1 = addChildBlock("layer1", parts.get("layer1"));
        layer2 = addChildBlock("layer2", parts.get("layer2"));
        layer3 = addChildBlock("layer3", parts.get("layer3"));
        layer4 = addChildBlock("layer4", parts.get("layer4"));
        head = addChildBlock("pyconvhead", new PyConvHead(backboneChannels, widths.mergeChannels(),
                widths.localChannels(), widths.globalChannels(), widths.bins(), widths.pyramid()));
        aux = addChildBlock("aux", new NamedSequential()
                .add("0", Layers.conv(widths.auxChannels(), 3, 1, 1, 1, 1, false))
                .add("1", Layers.batchNorm())
                .add("2", Layers.relu())
                .add("3", new Dropout2d(dropout))
                .add("4", Layers.conv(args.numClasses(), 1, 1, 0, 1, 1, true)));
        cls = addChildBlock("cls", new NamedSequential()
                .add("0", new Dropout2d(dropout))
                .add("1", Layers.conv(args.numClasses(), 1, 1, 0, 1, 1, true)));
    }

    /**
     * PyConvSegNet {@code id} on {@code backbone} (a PyConvResNet builder with its depths and widths;
     * its output stride is set here from {@link #OUTPUT_STRIDE}). {@code args}: numClasses (> 1),
     * inputChannels, zeroInitLastBn, outputStride, dropout.
     */
    public static PyConvSegNet build(String id, PyConvResNet.Builder backbone, Head widths, ModelArgs args) {
        String name = id + " (PyConvSegNet)";
        int outputStride = args.getInt(OUTPUT_STRIDE, DEFAULT_OUTPUT_STRIDE);
        Checks.require(outputStride == 8 || outputStride == 16, name, OUTPUT_STRIDE + " must be 8 or 16, got "
                + outputStride);
        ResNet net = backbone.outputStride(outputStride).build(id, args.withNumClasses(0));
        return new PyConvSegNet(name, net, backbone.outputChannels(), widths, args);
    }

    private static Map<String, Block> children(ResNet backbone) {
        Map<String, Block> byName = new HashMap<>();
        for (int i = 0; i < backbone.getChildren().size(); i++) {
            byName.put(ChildNames.name(backbone, i), backbone.getChildren().valueAt(i));
        }
        return byName;
    }

    /** Input channels the network expects. */
    public int getInputChannels() {
        return inputChannels;
    }

    /** Logits at the input size; in training also the auxiliary head's, from layer3. */
    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        Checks.requireOneNchw(ops, inputs, name, inputChannels);
        T x = inputs.get(0);
        ops.require(x, s -> Checks.require((s.get(2) - 1) % 8 == 0 && (s.get(3) - 1) % 8 == 0, name,
                "expected an input of shape (N, C, H, W) with H and W of the form 8k + 1 (473, 513, 65, ...), as the "
                        + "official forward asserts, got " + s));
        ops.share(x);
        T stage3 = ops.child(layer3, ops.child(layer2, ops.child(layer1, ops.child(layer0, x))));
        boolean training = ops.training();
        if (training) {
            ops.share(stage3);
        }
        T logits = ops.resizeBilinearAlignedLike(ops.child(cls, ops.child(head, ops.child(layer4, stage3))), x);
        if (!training) {
            return List.of(logits);
        }
        return List.of(logits, ops.resizeBilinearAlignedLike(ops.child(aux, stage3), x));
    }

    /** The eval dataflow leaves out the auxiliary head; it is initialized for layer3's output. */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] stage3 = new Shape[1];
        traceChildren(inputShapes, (path, child, shapes) -> {
            child.initialize(manager, dataType, shapes);
            if (child == layer4) {
                stage3[0] = shapes[0];
            }
        });
        aux.initialize(manager, dataType, stage3);
    }

    @Override
    public String toString() {
        return name;
    }
}
