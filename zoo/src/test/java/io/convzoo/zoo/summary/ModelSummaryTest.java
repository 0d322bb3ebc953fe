package io.convzoo.zoo.summary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.GlobalAvgPool;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ModelSummaryTest {

    private static final Shape MNIST = new Shape(1, 1, 28, 28);

    /**
     * The seed's torchsummary Net in DJL: modules there are DJL layers here; the F.* calls
     * (relu, max_pool2d, view, dropout) are LambdaBlocks, DJL's functional ops. F.dropout is the
     * identity at inference and the summary only needs its shape.
     */
    private static NamedSequential seedNet() {
        return new NamedSequential()
                .add("conv1", Layers.conv(10, 5, 1, 0, 1, 1, true))
                .add("pool1", Pool.maxPool2dBlock(new Shape(2, 2)))
                .add("relu1", Layers.relu())
                .add("conv2", Layers.conv(20, 5, 1, 0, 1, 1, true))
                .add("conv2_drop", Dropout.builder().optRate(0.5f).build())
                .add("pool2", Pool.maxPool2dBlock(new Shape(2, 2)))
                .add("relu2", Layers.relu())
                .add("flatten", Blocks.batchFlattenBlock())
                .add("fc1", Linear.builder().setUnits(50).build())
                .add("relu3", Layers.relu())
                .add("dropout", new LambdaBlock(x -> x, "dropout"))
                .add("fc2", Linear.builder().setUnits(10).build());
    }

    private static List<LayerRow> moduleRows(ModelSummary s) {
        return s.layers().stream().filter(r -> !r.functional()).collect(Collectors.toList());
    }

    private static LayerRow row(ModelSummary s, String name) {
        return s.layers().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + s));
    }

    private static List<String> lines(ModelSummary s) {
        return Arrays.asList(s.toString().split("\n"));
    }

    @Test
    void seedNetGivesTheTorchsummaryRowsAndTotals() {
        ModelSummary s = ModelSummary.of(seedNet(), MNIST);

        List<LayerRow> modules = moduleRows(s);
        assertEquals(List.of("Conv2d", "Conv2d", "Dropout", "Linear", "Linear"),
                modules.stream().map(LayerRow::type).collect(Collectors.toList()));
        assertEquals(List.of("conv1", "conv2", "conv2_drop", "fc1", "fc2"),
                modules.stream().map(LayerRow::name).collect(Collectors.toList()));
        assertEquals(List.of("[-1, 10, 24, 24]", "[-1, 20, 8, 8]", "[-1, 20, 8, 8]", "[-1, 50]", "[-1, 10]"),
                modules.stream().map(LayerRow::outputShapeText).collect(Collectors.toList()));
        assertEquals(List.of(260L, 5020L, 0L, 16050L, 510L),
                modules.stream().map(LayerRow::params).collect(Collectors.toList()));

        assertEquals(21840, s.params());
        assertEquals(21840, s.trainableParams());
        assertEquals(0, s.nonTrainableParams());
        // torchsummary: 2 × (5760 + 1280 + 1280 + 50 + 10) outputs × 4 bytes; one 1×28×28 input.
        assertEquals(2.0 * 8380 * 4 / (1024 * 1024), s.forwardBackwardSizeMb(), 0);
        assertEquals(784.0 * 4 / (1024 * 1024), s.inputSizeMb(), 0);
        assertEquals(21840.0 * 4 / (1024 * 1024), s.paramsSizeMb(), 0);

        for (ModelSummary.Options options : List.of(ModelSummary.Options.defaults(),
                ModelSummary.Options.defaults().showFunctional(false))) {
            List<String> text = lines(ModelSummary.of(seedNet(), MNIST, options));
            for (String expected : List.of("Total params: 21,840", "Trainable params: 21,840",
                    "Non-trainable params: 0", "Input size (MB): 0.00", "Forward/backward pass size (MB): 0.06",
                    "Params size (MB): 0.08", "Estimated Total Size (MB): 0.15")) {
                assertTrue(text.contains(expected), "missing line '" + expected + "' in\n" + text);
            }
        }

        // Without functional rows the first three columns are torchsummary's, row by row.
        List<String> text = lines(ModelSummary.of(seedNet(), MNIST, ModelSummary.Options.defaults()
                .showFunctional(false)));
        assertTrue(text.get(1).startsWith(String.format("%20s  %25s %15s", "Layer (type)", "Output Shape", "Param #")));
        String[][] torchRows = {{"Conv2d-1", "[-1, 10, 24, 24]", "260"}, {"Conv2d-2", "[-1, 20, 8, 8]", "5,020"},
            {"Dropout-3", "[-1, 20, 8, 8]", "0"}, {"Linear-4", "[-1, 50]", "16,050"}, {"Linear-5", "[-1, 10]", "510"}};
        for (int i = 0; i < torchRows.length; i++) {
            String expected = String.format("%20s  %25s %15s", (Object[]) torchRows[i]);
            assertTrue(text.get(3 + i).startsWith(expected), "row " + i + ": " + text.get(3 + i));
        }
        assertTrue(text.get(3 + torchRows.length).startsWith("====="));
    }

    @Test
    void aBatchScalesTheInputAndActivationSizesAsTorchsummary() {
        // torchsummary's summary(model, (1, 28, 28), batch_size=8) multiplies input and output sizes by 8.
        ModelSummary one = ModelSummary.of(seedNet(), MNIST);
        ModelSummary eight = ModelSummary.of(seedNet(), new Shape(8, 1, 28, 28));
        assertEquals(8, eight.batch());
        assertEquals(1, ModelSummary.of(seedNet(), new Shape(-1, 1, 28, 28)).batch());
        assertEquals(8.0 * 784 * 4 / (1024 * 1024), eight.inputSizeMb(), 0);
        assertEquals(2.0 * 8380 * 8 * 4 / (1024 * 1024), eight.forwardBackwardSizeMb(), 0);
        assertEquals(one.paramsSizeMb(), eight.paramsSizeMb(), 0);
        assertEquals(one.macs(), eight.macs(), "MACs stay per sample");
        List<String> text = lines(eight);
        for (String expected : List.of("Input size (MB): 0.02", "Forward/backward pass size (MB): 0.51",
                "Params size (MB): 0.08", "Estimated Total Size (MB): 0.62")) {
            assertTrue(text.contains(expected), "missing line '" + expected + "' in\n" + text);
        }
        assertTrue(String.join("\n", text).contains("[-1, 10, 24, 24]"), "shapes still print the batch as -1");
    }

    @Test
    void countingFunctionalOutputsChangesOnlyTheActivationSize() {
        ModelSummary counted = ModelSummary.of(seedNet(), MNIST,
                ModelSummary.Options.defaults().countFunctionalOutputs(true));
        // + pool1 1440, relu1 1440, pool2 320, relu2 320, flatten 320, relu3 50, dropout 50.
        assertEquals(2.0 * (8380 + 3940) * 4 / (1024 * 1024), counted.forwardBackwardSizeMb(), 0);
        assertEquals(21840, counted.params());
    }

    @Test
    void macsOfTheSeedNetMatchAHandCount() {
        ModelSummary s = ModelSummary.of(seedNet(), MNIST);
        long conv1 = 10L * 24 * 24 * (1 * 5 * 5);   // 144,000
        long conv2 = 20L * 8 * 8 * (10 * 5 * 5);    // 320,000
        long fc1 = 320L * 50;
        long fc2 = 50L * 10;
        assertEquals(conv1, row(s, "conv1").macs());
        assertEquals(conv2, row(s, "conv2").macs());
        assertEquals(fc1, row(s, "fc1").macs());
        assertEquals(fc2, row(s, "fc2").macs());
        assertEquals(0, row(s, "conv2_drop").macs());
        assertEquals(conv1 + conv2 + fc1 + fc2, s.macs());
        assertEquals(0, s.auxiliaryMacs());
        assertTrue(lines(s).contains("Total MACs: 480,500"), s.toString());
        // Per sample: the batch of the input shape changes no row and no MAC count (only the sizes, as
        // torchsummary: aBatchScalesTheInputAndActivationSizesAsTorchsummary).
        com.google.gson.JsonObject one = com.google.gson.JsonParser.parseString(s.toJson()).getAsJsonObject();
        com.google.gson.JsonObject four = com.google.gson.JsonParser.parseString(
                ModelSummary.of(seedNet(), new Shape(4, 1, 28, 28)).toJson()).getAsJsonObject();
        assertEquals(one.get("layers"), four.get("layers"));
        assertEquals(one.get("macs"), four.get("macs"));
        assertEquals(one.get("inputShape"), four.get("inputShape"));
    }

    @Test
    void receptiveFieldsFollowTheChain() {
        ModelSummary s = ModelSummary.of(seedNet(), MNIST);
        assertEquals(5, row(s, "conv1").receptiveField());
        assertEquals(6, row(s, "pool1").receptiveField());     // + (2 - 1) × 1, jump 2
        assertEquals(14, row(s, "conv2").receptiveField());    // 6 + (5 - 1) × 2
        assertEquals(16, row(s, "pool2").receptiveField());    // 14 + (2 - 1) × 2, jump 4
        assertEquals(28, row(s, "flatten").receptiveField());  // the 4×4 map: 16 + 3 × 4
        assertEquals(28, row(s, "fc2").receptiveField());
    }

    /** Two branches on the same input: a 3×3 and a 1×1 conv, summed. */
    static final class TwoBranch extends DataflowBlock {
        private final Block wide;
        private final Block narrow;

        TwoBranch(int channels) {
            wide = addChildBlock("wide", Layers.conv(channels, 3, 1, 1, 1, 1, false));
            narrow = addChildBlock("narrow", Layers.conv(channels, 1, 1, 0, 1, 1, false));
        }

        @Override
        protected <T> T forward(Ops<T> ops, T x) {
            ops.require(x, s -> Checks.requireNchw("TwoBranch", s, 0));
            ops.share(x);
            return ops.add(ops.child(wide, x), ops.child(narrow, x));
        }
    }

    private static NamedSequential branchNet() {
        return new NamedSequential()
                .add("stem", Layers.conv(2, 3, 1, 1, 1, 1, false))
                .add("branch", new TwoBranch(4))
                .add("head", Layers.conv1x1(3, 2));
    }

    @Test
    void tracedBranchesGetTheirOwnInputShapesAndFields() {
        ModelSummary s = ModelSummary.of(branchNet(), new Shape(1, 2, 8, 8));
        assertEquals(List.of("stem", "branch.wide", "branch.narrow", "head"),
                s.layers().stream().map(LayerRow::name).collect(Collectors.toList()));
        assertEquals(2 * 2 * 9, row(s, "stem").params());
        assertEquals(4 * 2 * 9, row(s, "branch.wide").params());
        assertEquals(4 * 2, row(s, "branch.narrow").params());
        assertEquals(3 * 4, row(s, "head").params());
        assertEquals(2L * 8 * 8 * 2 * 9, row(s, "stem").macs());
        assertEquals(4L * 8 * 8 * 2 * 9, row(s, "branch.wide").macs());
        assertEquals(4L * 8 * 8 * 2, row(s, "branch.narrow").macs());
        assertEquals(3L * 4 * 4 * 4, row(s, "head").macs());
        assertArrayEquals(new long[] {-1, 3, 4, 4}, row(s, "head").outputShape());

        assertEquals(3, row(s, "stem").receptiveField());
        assertEquals(5, row(s, "branch.wide").receptiveField());
        // The 1×1 branch reads the block input (2 channels), not the 3×3 branch's output.
        assertEquals(3, row(s, "branch.narrow").receptiveField());
        // The sum takes the larger branch; the strided 1×1 head adds nothing.
        assertEquals(5, row(s, "head").receptiveField());

        // Depth 1: the branch block collapses into one row with its totals.
        List<LayerRow> top = s.layers(1);
        assertEquals(List.of("stem", "branch", "head"), top.stream().map(LayerRow::name).collect(Collectors.toList()));
        LayerRow branch = top.get(1);
        assertEquals("TwoBranch", branch.type());
        assertEquals(4 * 2 * 9 + 4 * 2, branch.params());
        assertEquals(4L * 8 * 8 * 2 * 10, branch.macs());
        assertEquals(5, branch.receptiveField());
        assertArrayEquals(new long[] {-1, 4, 8, 8}, branch.outputShape());
        String collapsed = ModelSummary.of(branchNet(), new Shape(1, 2, 8, 8),
                ModelSummary.Options.defaults().maxDepth(1)).toString();
        assertTrue(collapsed.contains("TwoBranch-2"), collapsed);
        assertFalse(collapsed.contains("branch.wide"), collapsed);
    }

    @Test
    void summaryShapesMatchTheForwardPass() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape input = new Shape(1, 2, 8, 8);
            NamedSequential net = branchNet();
            TestSupport.init(net, manager, input);
            NDArray y = TestSupport.infer(net, manager, TestSupport.random(manager, input, 7)).singletonOrThrow();
            ModelSummary s = ModelSummary.of(net, input);
            assertArrayEquals(new long[] {1, 3, 4, 4}, y.getShape().getShape());
            assertArrayEquals(new long[] {-1, 3, 4, 4}, s.layers().get(s.layers().size() - 1).outputShape());
        }
    }

    /**
     * A toy dynamic conv: a bank of two 3×3 kernels mixed by a router (Linear on the pooled input),
     * applied functionally, so its own weights are counted through MacCounted.
     */
    static final class ToyDynamicConv extends DataflowBlock implements MacCounted {
        static final int KERNELS = 2;
        private final int outChannels;
        private final Parameter bank;
        private final Block router;

        ToyDynamicConv(int outChannels) {
            this.outChannels = outChannels;
            bank = addParameter(Parameter.builder().setName("bank").setType(Parameter.Type.WEIGHT).build());
            router = addChildBlock("router", Linear.builder().setUnits(KERNELS).build());
        }

        @Override
        protected void prepare(Shape[] inputShapes) {
            bank.setShape(new Shape(KERNELS, outChannels, inputShapes[0].get(1), 3, 3));
        }

        @Override
        protected <T> T forward(Ops<T> ops, T x) {
            ops.require(x, s -> Checks.requireNchw("ToyDynamicConv", s, 0));
            ops.share(x);
            T attention = ops.softmax(ops.child(router, ops.globalAvgPool(x)), 1);
            long in = inputShapes == null ? 1 : inputShapes[0].get(1);
            return ops.mixtureConv(x, attention, bank, null,
                    new MixtureConv((int) in, outChannels, 3, 1, 1, 1, 1, KERNELS));
        }

        @Override
        public long ownMacs(Shape[] inputShapes) {
            Shape x = inputShapes[0];
            return x.get(0) * outChannels * x.get(2) * x.get(3) * x.get(1) * 9;
        }

        @Override
        public long auxiliaryMacs(Shape[] inputShapes) {
            return inputShapes[0].get(0) * KERNELS * outChannels * inputShapes[0].get(1) * 9;
        }
    }

    @Test
    void macCountedBlocksGetARowForTheirOwnWeightsBeforeTheirChildren() {
        NamedSequential net = new NamedSequential()
                .add("stem", Layers.conv(2, 3, 1, 1, 1, 1, false))
                .add("dyn", new ToyDynamicConv(4));
        ModelSummary s = ModelSummary.of(net, new Shape(1, 2, 8, 8));
        assertEquals(List.of("stem", "dyn", "dyn.router"),
                s.layers().stream().map(LayerRow::name).collect(Collectors.toList()));
        LayerRow own = row(s, "dyn");
        assertEquals("ToyDynamicConv", own.type());
        assertEquals(2 * 4 * 2 * 9, own.params());
        assertEquals(4L * 8 * 8 * 2 * 9, own.macs());
        assertEquals(2L * 4 * 2 * 9, own.auxiliaryMacs());
        assertArrayEquals(new long[] {-1, 4, 8, 8}, own.outputShape());
        assertEquals(5, own.receptiveField());   // stem 3, then the own 3×3 kernel
        LayerRow router = row(s, "dyn.router");
        assertEquals(2 * 2 + 2, router.params());
        assertEquals(2 * 2, router.macs());
        assertArrayEquals(new long[] {-1, 2}, router.outputShape());

        assertEquals(2 * 2 * 9 + 2 * 4 * 2 * 9 + 6, s.params());
        assertEquals(2L * 8 * 8 * 2 * 9 + 4L * 8 * 8 * 2 * 9 + 4, s.macs());
        assertEquals(2L * 4 * 2 * 9, s.auxiliaryMacs());
        assertTrue(lines(s).contains("Auxiliary MACs: 144"), s.toString());

        try (NDManager manager = NDManager.newBaseManager()) {
            TestSupport.init(net, manager, new Shape(1, 2, 8, 8));
            assertEquals(Layers.countParameters(net), s.params());
            NDArray y = TestSupport.infer(net, manager,
                    TestSupport.random(manager, new Shape(1, 2, 8, 8), 3)).singletonOrThrow();
            assertEquals(new Shape(1, 4, 8, 8), y.getShape());
        }
    }

    @Test
    void djlSequentialAndParallelBlocksAreWalked() {
        SequentialBlock seq = new SequentialBlock()
                .add(Layers.conv(10, 5, 1, 0, 1, 1, true))
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Layers.relu())
                .add(new ParallelBlock(list -> new NDList(NDArrays.concat(
                        new NDList(list.get(0).singletonOrThrow(), list.get(1).singletonOrThrow()), 1)),
                        List.of(Layers.conv(3, 3, 1, 1, 1, 1, false), Layers.conv(5, 1, 1, 0, 1, 1, false))))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).build());
        ModelSummary s = ModelSummary.of(seq, MNIST);
        List<LayerRow> modules = moduleRows(s);
        assertEquals(List.of("Conv2d", "Conv2d", "Conv2d", "Linear"),
                modules.stream().map(LayerRow::type).collect(Collectors.toList()));
        assertArrayEquals(new long[] {-1, 3, 12, 12}, modules.get(1).outputShape());
        assertArrayEquals(new long[] {-1, 5, 12, 12}, modules.get(2).outputShape());
        assertEquals(260 + 10 * 3 * 9 + 10 * 5 + (8 * 144 * 10 + 10), s.params());
        assertEquals(6 + 2 * 2, modules.get(1).receptiveField());   // conv 5, pool → 6 (jump 2), 3×3 → 10
        assertEquals(6, modules.get(2).receptiveField());
        assertEquals(Set.of("MaxPool2d", "ReLU", "BatchFlatten"), s.layers().stream().filter(LayerRow::functional)
                .map(LayerRow::type).collect(Collectors.toSet()));
    }

    @Test
    void jsonCarriesTotalsSizesAndRows() {
        ModelSummary s = ModelSummary.of(seedNet(), MNIST);
        JsonObject json = JsonParser.parseString(s.toJson()).getAsJsonObject();
        for (String key : List.of("params", "trainableParams", "nonTrainableParams", "macs", "auxiliaryMacs",
                "inputShape", "layers", "inputSizeMb", "forwardBackwardSizeMb", "paramsSizeMb", "totalSizeMb")) {
            assertTrue(json.has(key), "missing key " + key);
        }
        assertEquals(21840, json.get("params").getAsLong());
        assertEquals(21840, json.get("trainableParams").getAsLong());
        assertEquals(480500, json.get("macs").getAsLong());
        assertEquals(0, json.get("auxiliaryMacs").getAsLong());
        assertEquals(s.totalSizeMb(), json.get("totalSizeMb").getAsDouble(), 0);
        assertEquals(s.forwardBackwardSizeMb(), json.get("forwardBackwardSizeMb").getAsDouble(), 0);
        JsonArray input = json.getAsJsonArray("inputShape");
        assertEquals(List.of(-1L, 1L, 28L, 28L), List.of(input.get(0).getAsLong(), input.get(1).getAsLong(),
                input.get(2).getAsLong(), input.get(3).getAsLong()));
        JsonArray layers = json.getAsJsonArray("layers");
        assertEquals(s.layers().size(), layers.size());
        JsonObject conv2 = null;
        for (int i = 0; i < layers.size(); i++) {
            JsonObject layer = layers.get(i).getAsJsonObject();
            for (String key : List.of("name", "type", "outputShape", "params", "macs", "receptiveField")) {
                assertTrue(layer.has(key), "layer " + i + " misses " + key);
            }
            if (layer.get("name").getAsString().equals("conv2")) {
                conv2 = layer;
            }
        }
        assertEquals("Conv2d", conv2.get("type").getAsString());
        assertEquals(5020, conv2.get("params").getAsLong());
        assertEquals(320000, conv2.get("macs").getAsLong());
        assertEquals(14, conv2.get("receptiveField").getAsLong());
        assertEquals("[-1,20,8,8]", conv2.get("outputShape").toString());
    }

    @Test
    void uninitializedAndInitializedBlocksGiveTheSameSummary() {
        NamedSequential net = seedNet();
        assertFalse(net.isInitialized());
        String fromUninitialized = ModelSummary.of(net, MNIST).toJson();
        // The summary gave back what it allocated: the block is as uninitialized as it came.
        assertFalse(net.isInitialized());
        try (NDManager manager = NDManager.newBaseManager()) {
            TestSupport.init(net, manager, MNIST);
            assertEquals(fromUninitialized, ModelSummary.of(net, MNIST).toJson());
            // The caller's initialized weights are untouched and still usable.
            assertTrue(net.isInitialized());
            NDArray y = TestSupport.infer(net, manager, TestSupport.random(manager, MNIST, 1)).singletonOrThrow();
            assertEquals(new Shape(1, 10), y.getShape());
            assertEquals(21840, Layers.countParameters(net));
        }
    }

    @Test
    void badInputShapesAreRejectedWithTheLayerNamed() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> ModelSummary.of(seedNet(), new Shape(1, 28)));
        assertTrue(rank.getMessage().contains("Conv2d"), rank.getMessage());

        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> ModelSummary.of(seedNet(), new Shape(1, 1, 8, 8)));
        assertTrue(small.getMessage().contains("'conv2' (Conv2d)"), small.getMessage());
        assertTrue(small.getMessage().contains("too small"), small.getMessage());

        assertThrows(IllegalArgumentException.class, () -> ModelSummary.of(seedNet(), null));
        assertThrows(IllegalArgumentException.class, () -> ModelSummary.of(seedNet(), new Shape(0, 1, 28, 28)));
        assertThrows(IllegalArgumentException.class, () -> ModelSummary.of(seedNet(), new Shape(28)));

        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential net = seedNet();
            TestSupport.init(net, manager, MNIST);
            IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                    () -> ModelSummary.of(net, new Shape(1, 3, 28, 28)));
            assertTrue(channels.getMessage().contains("'conv1' (Conv2d)"), channels.getMessage());
            assertTrue(channels.getMessage().contains("C=1"), channels.getMessage());
        }

        IllegalArgumentException traced = assertThrows(IllegalArgumentException.class,
                () -> ModelSummary.of(new TwoBranch(4), new Shape(1, 2, 8)));
        assertTrue(traced.getMessage().contains("TwoBranch"), traced.getMessage());
    }

    @Test
    void imagenetStemWithAnOverlappingPool() {
        // conv 7×7/2 → 7 (jump 2); 3×3/2 pad-1 max pool → 7 + 2 × 2 = 11 (jump 4); head covers 56×56.
        NamedSequential declared = imagenetStem();
        declared.add("maxpool", LambdaBlock.singleton(x -> Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2),
                new Shape(1, 1), false), "maxPool2d(k=3,s=2,p=1)"));
        declared.add("avgpool", new GlobalAvgPool());
        declared.add("fc", Linear.builder().setUnits(5).build());
        ModelSummary s = ModelSummary.of(declared, new Shape(1, 3, 64, 64));
        assertEquals(7, row(s, "conv1").receptiveField());
        assertEquals("MaxPool2d", row(s, "maxpool").type());
        assertEquals(11, row(s, "maxpool").receptiveField());
        assertEquals(11 + 15 * 4, row(s, "avgpool").receptiveField());
        assertEquals(8 * 3 * 49 + 2 * 8 + 8 * 5 + 5, s.params());   // BN running statistics excluded
        assertEquals(8L * 32 * 32 * 3 * 49 + 8 * 5, s.macs());

        // The same pool as an opaque lambda: stride from the sizes, kernel 2 (a documented lower bound).
        NamedSequential opaque = imagenetStem();
        opaque.add("maxpool", LambdaBlock.singleton(x -> Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2),
                new Shape(1, 1), false), "maxPool2d"));
        ModelSummary estimated = ModelSummary.of(opaque, new Shape(1, 3, 64, 64));
        assertEquals(9, estimated.layers().get(estimated.layers().size() - 1).receptiveField());
        assertArrayEquals(new long[] {-1, 8, 16, 16}, estimated.layers().get(estimated.layers().size() - 1).outputShape());

        assertArrayEquals(new long[] {3, 2, 1}, ModelSummary.declaredWindow("maxPool2d(k=3,s=2,p=1)"));
        assertEquals(null, ModelSummary.declaredWindow("maxPool2d"));
        assertEquals(null, ModelSummary.declaredWindow("pool(q=3)"));
    }

    /** conv1 7×7/2 pad 3 to 8 channels, bn1, relu: the ImageNet stem without its pool. */
    private static NamedSequential imagenetStem() {
        return new NamedSequential().add("conv1", Layers.conv(8, 7, 2, 3, 1, 1, false)).add("bn1", Layers.batchNorm())
                .add("relu", Layers.relu());
    }

    @Test
    void megabytesRoundLikePythonPercentFormat() {
        // Python: '%0.2f' % 0.125 == '0.12' (exact binary value, ties to even); Java's %.2f gives 0.13.
        assertEquals("0.12", ModelSummary.mb(0.125));
        assertEquals("0.14", ModelSummary.mb(0.135));
        assertEquals("0.14", ModelSummary.mb(0.145));
        assertEquals("0.00", ModelSummary.mb(784.0 * 4 / (1024 * 1024)));
    }
}
