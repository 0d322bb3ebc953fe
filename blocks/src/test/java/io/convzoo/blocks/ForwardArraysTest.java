package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.blocks.pyconv.PyConv;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Repeated forwards (eval and training) leave no array behind in the manager that owns the parameters. */
class ForwardArraysTest {

    @Test
    void blocksThatDeriveKernelsFromParametersDoNotGrowTheModelManager() {
        List<Block> blocks = List.of(
                PyConv.builder().addLevel(8, 3, 1).addLevel(8, 7, 4).addLevel(16, 9, 8).build(),
                new HetConv(32, 32, 4, 1, true, HetConv.Strategy.DENSE_KERNEL),
                new HetConv(32, 32, 4, 1, true, HetConv.Strategy.GROUPED_PLUS_POINTWISE),
                DynamicConv2d.builder().setInChannels(32).setOutChannels(16).setKernelSize(3).optPadding(1).build());
        Shape in = new Shape(2, 32, 10, 10);
        for (Block block : blocks) {
            try (NDManager model = NDManager.newBaseManager()) {
                TestSupport.init(block, model, in);
                // Warm-up: blocks may cache per-device constants (HetConv's index maps) once.
                try (NDManager forward = model.newSubManager()) {
                    block.forward(new ParameterStore(forward, false), new NDList(TestSupport.random(forward, in, 9)), false);
                }
                int before = model.getManagedArrays().size();
                for (boolean training : new boolean[] {false, true}) {
                    for (int i = 0; i < 3; i++) {
                        try (NDManager forward = model.newSubManager()) {
                            NDArray x = TestSupport.random(forward, in, i);
                            if (training) {
                                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                    gc.backward(block.forward(new ParameterStore(forward, false), new NDList(x), true)
                                            .head().sum());
                                }
                            } else {
                                block.forward(new ParameterStore(forward, false), new NDList(x), false);
                            }
                        }
                    }
                }
                assertEquals(before, model.getManagedArrays().size(), block + " left arrays in the model's manager");
            }
        }
    }
}
