package io.convzoo.zoo.train;

import io.convzoo.blocks.TemperatureAnnealed;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.XavierInitializer;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.layers.GlobalAvgPool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A tiny zoo-style classifier (conv1/bn1/relu, max pool, a two-conv stage, avgpool + fc) for fine-tuning tests. */
final class TinyNets {

    private TinyNets() {}

    /** Identity block with a temperature, recording every value it is given. */
    static final class TemperatureRecorder extends LambdaBlock implements TemperatureAnnealed {
        final List<Float> seen = new ArrayList<>();

        TemperatureRecorder() {
            super(x -> x, "temperatureRecorder");
        }

        @Override
        public void setTemperature(float t) {
            seen.add(t);
        }
    }

    static NamedSequential tinyNet(int channels, int classes, Block extra) {
        NamedSequential net = new NamedSequential();
        net.add("conv1", Layers.conv(16, 3, 1, 1, 1, 1, false));
        net.add("bn1", Layers.batchNorm());
        net.add("relu", Layers.relu());
        net.add("maxpool", Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        NamedSequential layer1 = new NamedSequential();
        layer1.add("conv1", Layers.conv(32, 3, 1, 1, 1, 1, false));
        layer1.add("bn1", Layers.batchNorm());
        layer1.add("relu", Layers.relu());
        layer1.add("conv2", Layers.conv(64, 3, 2, 1, 1, 1, false));
        layer1.add("bn2", Layers.batchNorm());
        layer1.add("relu2", Layers.relu());
        if (extra != null) {
            layer1.add("extra", extra);
        }
        net.add("layer1", layer1);
        net.add("avgpool", new GlobalAvgPool());
        net.add("fc", Linear.builder().setUnits(classes).build());
        return net;
    }

    /** A model around {@link #tinyNet}, initialized for 28×28 inputs (Kaiming-style normal weights). */
    static Model tinyModel(int channels, int classes, Block extra) {
        Model model = Model.newInstance("tiny");
        NamedSequential net = tinyNet(channels, classes, extra);
        net.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        model.setBlock(net);
        net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, channels, 28, 28));
        return model;
    }

    static byte[] save(Block block) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        }
        return bytes.toByteArray();
    }

    static void load(Model model, byte[] params) throws Exception {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(params))) {
            model.getBlock().loadParameters(model.getNDManager(), in);
        }
    }

    /** Copies of every parameter's values, by path. */
    static Map<String, float[]> snapshot(Block block) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (var p : block.getParameters()) {
            m.put(p.getKey(), p.getValue().getArray().toFloatArray());
        }
        return m;
    }

    static NDList forward(Block block, ai.djl.ndarray.NDArray x) {
        return block.forward(new ai.djl.training.ParameterStore(x.getManager(), false), new NDList(x), false);
    }
}
