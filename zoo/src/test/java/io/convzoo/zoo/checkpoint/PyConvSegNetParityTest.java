package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.pyconv.PyramidSpec;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.arch.pyconv.PyConvResNet;
import io.convzoo.zoo.arch.pyconv.PyConvSegNet;
import io.convzoo.zoo.train.SegmentationLoss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PyConvSegNet against the OFFICIAL iduta/pyconvsegnet forward on a reduced configuration
 * (tools/pyconvsegnet_fixtures.py: the official backbone classes with smaller widths, dilated by
 * the official build_backbone_layers, the official head blocks with smaller widths; seeded weights
 * stored in float16): the checkpoint loads strictly by official names and the eval logits at output
 * stride 8 and 16 equal the official ones within 1e-4; the training forward (dropout 0, BatchNorm on
 * batch statistics) gives the official main and auxiliary losses.
 */
class PyConvSegNetParityTest {

    private static final double TOLERANCE = 1e-4;
    /** The reduced head of the fixtures: local 32, global 64, 9 bins, merge 16, aux 16. */
    private static final PyConvSegNet.Head HEAD = new PyConvSegNet.Head(32, 64, 9, 16, 16, PyramidSpec.OFFICIAL_HEAD);
    private static final Map<String, Supplier<PyConvResNet.Builder>> BACKBONES = Map.of(
            "pyconvsegnet_pyconvresnet_reduced", () -> PyConvResNet.builder().bottleneck(1, 1, 1, 1)
                    .widths(16, 16, 32, 64).groups(new int[][] {{1, 2, 4, 4}, {1, 2, 4}, {1, 4}, {1}}),
            "pyconvsegnet_pyconvhgresnet_reduced", () -> PyConvResNet.builder().highGroups().bottleneck(1, 1, 1, 1)
                    .widths(16, 16, 32, 128).groups(new int[][] {{4, 4, 4, 4}, {4, 4, 8}, {4, 8}, {8}}));

    private static PyConvSegNet build(String name, int outputStride, float dropout) {
        ModelArgs args = new ModelArgs(5, 3, false, Map.of(PyConvSegNet.OUTPUT_STRIDE, outputStride,
                PyConvSegNet.DROPOUT, dropout));
        return PyConvSegNet.build(name, BACKBONES.get(name).get(), HEAD, args);
    }

    private static PyConvSegNet loaded(String name, int outputStride, float dropout, NDManager manager, Shape in)
            throws IOException {
        StateDict sd = StateDicts.read(file(name + ".pth"));
        PyConvSegNet net = build(name, outputStride, dropout);
        TestSupport.init(net, manager, in);
        WeightLoader.Result result = WeightLoader.load(net, sd, true);
        long counters = sd.keys().stream().filter(WeightLoader::isIgnored).count();
        assertEquals(sd.size() - counters, result.loaded());
        assertEquals(OfficialNames.of(net).size(), result.loaded());
        return net;
    }

    @ParameterizedTest(name = "{0} output stride {1}")
    @CsvSource({"pyconvsegnet_pyconvresnet_reduced, 8", "pyconvsegnet_pyconvresnet_reduced, 16",
            "pyconvsegnet_pyconvhgresnet_reduced, 8", "pyconvsegnet_pyconvhgresnet_reduced, 16"})
    void evalLogitsEqualTheOfficialLogits(String name, int outputStride) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = npy(manager, name + ".input.npy");
            NDArray official = npy(manager, name + ".os" + outputStride + ".logits.npy");
            PyConvSegNet net = loaded(name, outputStride, PyConvSegNet.DEFAULT_DROPOUT, manager, input.getShape());
            NDArray logits = TestSupport.infer(net, manager, input).singletonOrThrow();
            assertEquals(new Shape(1, 5, 65, 65), logits.getShape());
            TestSupport.assertClose(official.toFloatArray(), logits.toFloatArray(), TOLERANCE);
        }
    }

    @org.junit.jupiter.api.Test
    void preparedAndScriptedForwardGivesTheOfficialLogits() throws IOException {
        String name = "pyconvsegnet_pyconvhgresnet_reduced";
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = npy(manager, name + ".input.npy");
            float[] official = npy(manager, name + ".os16.logits.npy").toFloatArray();
            PyConvSegNet net = loaded(name, 16, PyConvSegNet.DEFAULT_DROPOUT, manager, input.getShape());
            io.convzoo.zoo.infer.Inference.prepare(net, true);
            ParameterStore ps = new ParameterStore(manager, false);
            io.convzoo.zoo.infer.Inference.forward(net, ps, input); // block by block (folded), then the module is made
            assertTrue(((io.convzoo.blocks.script.ScriptedForward) net.getCompiledForward())
                    .isCompiledFor(input.getDevice()), "compiled to one TorchScript module");
            float[] scripted = io.convzoo.zoo.infer.Inference.forward(net, ps, input).head().toFloatArray();
            TestSupport.assertClose(official, scripted, TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"pyconvsegnet_pyconvresnet_reduced", "pyconvsegnet_pyconvhgresnet_reduced"})
    void trainingForwardGivesTheOfficialMainAndAuxiliaryLosses(String name) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = npy(manager, name + ".input.npy");
            NDArray target = npy(manager, name + ".target.npy");
            float[] official = npy(manager, name + ".os8.losses.npy").toFloatArray();
            PyConvSegNet net = loaded(name, 8, 0f, manager, input.getShape());
            NDList out = net.forward(new ParameterStore(manager, false), new NDList(input), true);
            assertEquals(2, out.size());
            assertEquals(new Shape(1, 5, 65, 65), out.get(1).getShape());
            float main = SegmentationLoss.crossEntropy(out.get(0), target, SegmentationLoss.IGNORE_LABEL).getFloat();
            float aux = SegmentationLoss.crossEntropy(out.get(1), target, SegmentationLoss.IGNORE_LABEL).getFloat();
            assertEquals(official[0], main, TOLERANCE, "main loss");
            assertEquals(official[1], aux, TOLERANCE, "aux loss");
            float total = new SegmentationLoss(PyConvSegNet.AUX_WEIGHT, SegmentationLoss.IGNORE_LABEL)
                    .evaluate(new NDList(target), out).getFloat();
            assertEquals(official[0] + 0.4f * official[1], total, TOLERANCE, "main + 0.4 aux");
        }
    }

    private static Path file(String name) {
        return OfficialParityTest.fixture("segnet", name, "tools/pyconvsegnet_fixtures.py fixtures");
    }

    private static NDArray npy(NDManager manager, String name) {
        return OfficialParityTest.npy(manager, file(name));
    }
}
