package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.ChildNames;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.arch.ResNet.FeatureInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every family as a backbone, on the official parity fixtures (official weights, {@link OfficialParityTest}):
 * <ul>
 *   <li>{@code featuresOnly} returns, for indices 0..4, the stem's ReLU output and each stage's output,
 *       equal to running the network's children one by one (an octave stage's pair merged as documented:
 *       high, then the low map repeated 2×2, by a naive loop here);</li>
 *   <li>{@code featureInfo} names their channels and reductions;</li>
 *   <li>{@code numClasses = 0} returns the pooled features, the mean of the last map, and the official
 *       classifier applied to them gives the official logits.</li>
 * </ul>
 */
class BackboneFeaturesTest {

    /** The ResNet-skeleton cases (a VGG has no stages and rejects featuresOnly, DyResNetTest; a DLA has no backbone form). */
    static Stream<String> cases() {
        return OfficialParityTest.CASES.keySet().stream()
                .filter(name -> c(name).builder().apply(OfficialParityTest.ARGS) instanceof ResNet);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void featuresAreTheStageOutputsAndThePooledFeaturesGiveTheOfficialLogits(String name) throws IOException {
        StateDict official = StateDicts.read(OfficialParityTest.file(name + ".pth"));
        OfficialParityTest.Case c = OfficialParityTest.CASES.get(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = OfficialParityTest.npy(manager, name + ".input.npy");
            float[] logits = OfficialParityTest.npy(manager, name + ".logits.npy").toFloatArray();
            ModelArgs args = OfficialParityTest.ARGS;

            Block plain = loaded(c, args, manager, input, official, true);
            List<NDArray> expected = childByChild(plain, manager, input);

            ResNet backbone = (ResNet) loaded(c, args.with(ResNet.FEATURES_ONLY, true), manager, input, official, true);
            NDList features = TestSupport.infer(backbone, manager, input);
            assertEquals(5, features.size());
            List<FeatureInfo> info = backbone.featureInfo();
            for (int k = 0; k < 5; k++) {
                NDArray f = features.get(k);
                assertEquals(expected.get(k).getShape(), f.getShape(), "feature " + k);
                TestSupport.assertClose(expected.get(k).toFloatArray(), f.toFloatArray(), OfficialParityTest.TOLERANCE);
                assertEquals(k, info.get(k).index());
                assertEquals(k == 0 ? "relu" : "layer" + k, info.get(k).module());
                assertEquals(f.getShape().get(1), info.get(k).channels(), "channels of feature " + k);
                assertEquals(1 << (k + 1), info.get(k).reduction(), "reduction of feature " + k);
            }

            Block pooledNet = loaded(c, args.withNumClasses(0), manager, input, official, false);
            NDArray pooled = TestSupport.infer(pooledNet, manager, input).head();
            NDArray last = features.get(4);
            assertEquals(new Shape(input.getShape().get(0), last.getShape().get(1)), pooled.getShape());
            TestSupport.assertClose(last.mean(new int[] {3}).mean(new int[] {2}).toFloatArray(), pooled.toFloatArray(),
                    OfficialParityTest.TOLERANCE);
            NDArray weight = official.get("fc.weight").toNDArray(manager);
            NDArray bias = official.get("fc.bias").toNDArray(manager);
            float[] head = pooled.matMul(weight.transpose()).add(bias).toFloatArray();
            TestSupport.assertClose(logits, head, OfficialParityTest.TOLERANCE);
        }
    }

    @Test
    void outIndicesPickMapsAndNonsenseIsNamed() throws IOException {
        String name = "oct_resnet_reduced";
        StateDict official = StateDicts.read(OfficialParityTest.file(name + ".pth"));
        OfficialParityTest.Case c = OfficialParityTest.CASES.get(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = OfficialParityTest.npy(manager, name + ".input.npy");
            ModelArgs features = OfficialParityTest.ARGS.with(ResNet.FEATURES_ONLY, "true");
            NDList all = TestSupport.infer(loaded(c, features, manager, input, official, true), manager, input);
            ResNet some = (ResNet) loaded(c, features.with(ResNet.OUT_INDICES, "3,1"), manager, input, official, true);
            NDList picked = TestSupport.infer(some, manager, input);
            assertEquals(2, picked.size());
            TestSupport.assertClose(all.get(3).toFloatArray(), picked.get(0).toFloatArray(), 0);
            TestSupport.assertClose(all.get(1).toFloatArray(), picked.get(1).toFloatArray(), 0);
            assertEquals(List.of(3, 1), some.featureInfo().stream().map(FeatureInfo::index).toList());
        }
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> c(name).builder().apply(OfficialParityTest.ARGS.with(ResNet.FEATURES_ONLY, true)
                        .with(ResNet.OUT_INDICES, "1,5")));
        assertTrue(range.getMessage().contains("outIndices must lie in 0..4 (0 = stem, k = layer k), got [1, 5]"),
                range.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> c(name).builder().apply(OfficialParityTest.ARGS.with(ResNet.FEATURES_ONLY, true)
                        .with(ResNet.OUT_INDICES, "1,two")));
        assertTrue(text.getMessage().contains("outIndices must be comma-separated integers, got '1,two'"),
                text.getMessage());
        ResNet classifier = (ResNet) c(name).builder().apply(OfficialParityTest.ARGS);
        IllegalArgumentException info = assertThrows(IllegalArgumentException.class, classifier::featureInfo);
        assertTrue(info.getMessage().contains("featureInfo needs the featuresOnly argument"), info.getMessage());
    }

    private static OfficialParityTest.Case c(String name) {
        return OfficialParityTest.CASES.get(name);
    }

    private static Block loaded(OfficialParityTest.Case c, ModelArgs args, NDManager manager, NDArray input,
                                StateDict official, boolean strict) {
        Block block = c.builder().apply(args);
        TestSupport.init(block, manager, input.getShape());
        WeightLoader.load(block, official, strict, KeyRenames.of(c.family()));
        return block;
    }

    /** The stem's ReLU output and each stage's output, running the network's children one at a time. */
    private static List<NDArray> childByChild(Block net, NDManager manager, NDArray input) {
        List<NDArray> out = new ArrayList<>();
        PairList<String, Block> children = net.getChildren();
        NDList current = new NDList(input);
        for (int i = 0; i < children.size(); i++) {
            String name = ChildNames.name(children.keyAt(i), i);
            if (name.equals("avgpool")) {
                break;
            }
            current = children.valueAt(i).forward(new ParameterStore(manager, false), current, false);
            if (name.equals("relu") || name.startsWith("layer")) {
                out.add(current.size() == 1 ? current.head() : highThenUpsampledLow(manager, current.get(0),
                        current.get(1)));
            }
        }
        return out;
    }

    /** (N, Ch + Cl, H, W): the high map's channels, then each low pixel repeated over its 2×2 block. */
    private static NDArray highThenUpsampledLow(NDManager manager, NDArray high, NDArray low) {
        Shape hs = high.getShape();
        Shape ls = low.getShape();
        int n = (int) hs.get(0);
        int ch = (int) hs.get(1);
        int cl = (int) ls.get(1);
        int h = (int) hs.get(2);
        int w = (int) hs.get(3);
        float[] hv = high.toFloatArray();
        float[] lv = low.toFloatArray();
        float[] out = new float[n * (ch + cl) * h * w];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < ch + cl; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float v = c < ch ? hv[((b * ch + c) * h + y) * w + x]
                                : lv[((b * cl + (c - ch)) * (h / 2) + y / 2) * (w / 2) + x / 2];
                        out[((b * (ch + cl) + c) * h + y) * w + x] = v;
                    }
                }
            }
        }
        return manager.create(out, new Shape(n, ch + cl, h, w));
    }
}
