package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.util.Random;
import java.util.function.IntConsumer;

/** Shared test helpers: seeded data, forward in inference mode, the "loss goes down" and exact-gradient checks. */
public final class TestSupport {

    private TestSupport() {}

    /** Deterministic uniform values in [-1, 1). */
    public static float[] randomFloats(int count, long seed) {
        Random r = new Random(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** A seeded random array of the given shape. */
    public static NDArray random(NDManager manager, Shape shape, long seed) {
        return manager.create(randomFloats((int) shape.size(), seed), shape);
    }

    /** Initializes {@code block} for {@code inputShapes} on float32. */
    public static void init(Block block, NDManager manager, Shape... inputShapes) {
        block.initialize(manager, DataType.FLOAT32, inputShapes);
    }

    /** Forward in inference mode. */
    public static NDList infer(Block block, NDManager manager, NDArray... inputs) {
        return block.forward(new ParameterStore(manager, false), new NDList(inputs), false);
    }

    /** Asserts two float arrays agree within an absolute tolerance, reporting the worst index. */
    public static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, "length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol, "max abs diff " + worst + " at " + at + " (tol " + tol + ")");
    }

    /**
     * Trains {@code block} a few SGD steps on a tiny regression problem (fixed random inputs, fixed
     * random targets of the block's output shape, L2 loss) and asserts that the loss fell and that
     * every learnable parameter received a non-zero gradient.
     */
    public static void assertTrains(Block block, Shape inputShape, int steps, float learningRate) {
        // Initial weights draw from the engine's generator: seed it so the check is the same every run.
        Engine.getInstance().setRandomSeed(20261122);
        try (Model model = Model.newInstance("train-check")) {
            model.setBlock(block);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(inputShape);
                NDManager m = trainer.getManager();
                NDArray x = random(m, inputShape, 7);
                Shape outShape = block.getOutputShapes(new Shape[] {inputShape})[0];
                NDArray y = random(m, outShape, 11).mul(0.5f);
                float first = Float.NaN;
                float last = Float.NaN;
                for (int step = 0; step < steps; step++) {
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray pred = trainer.forward(new NDList(x)).head();
                        NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(pred));
                        gc.backward(loss);
                        float value = loss.getFloat();
                        if (step == 0) {
                            first = value;
                            for (Pair<String, Parameter> p : block.getParameters()) {
                                if (!p.getValue().requiresGradient()) {
                                    continue;
                                }
                                float g = p.getValue().getArray().getGradient().abs().sum().getFloat();
                                assertTrue(g > 0, "no gradient reached parameter " + p.getKey());
                            }
                        }
                        last = value;
                    }
                    trainer.step();
                }
                assertTrue(last < first, "loss did not fall: " + first + " -> " + last);
            }
        }
    }

    /**
     * Asserts that the input gradient of {@code sum(block(x) * probe)} from autograd, through a training-mode
     * forward in double precision, equals central differences of the same loss (training-mode forwards
     * without autograd) at every {@code every}-th input, within 1e-5. {@code arraysLeftByForward} gets how
     * many arrays the autograd forward left in its manager besides the inputs.
     */
    public static void assertInputGradientMatchesCentralDifferences(Block block, Shape in, int every,
                                                                    IntConsumer arraysLeftByForward) {
        try (NDManager model = NDManager.newBaseManager()) {
            // Double precision: the finite differences are then exact to ~1e-9.
            block.initialize(model, DataType.FLOAT64, in);
            Shape outShape = block.getOutputShapes(new Shape[] {in})[0];
            try (NDManager forward = model.newSubManager()) {
                ParameterStore ps = new ParameterStore(forward, false);
                NDArray probe = random(forward, outShape, 21).toType(DataType.FLOAT64, false);
                NDArray x = random(forward, in, 22).toType(DataType.FLOAT64, false);
                x.setRequiresGradient(true);
                int before = forward.getManagedArrays().size();
                double[] grad;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = block.forward(ps, new NDList(x), true).head();
                    arraysLeftByForward.accept(forward.getManagedArrays().size() - before);
                    gc.backward(y.mul(probe).sum());
                    grad = x.getGradient().toDoubleArray();
                }
                double[] base = x.toDoubleArray();
                double eps = 1e-5;
                for (int i = 0; i < base.length; i += every) {
                    double[] loss = new double[2];
                    for (int side = 0; side < 2; side++) {
                        double[] moved = base.clone();
                        moved[i] += side == 0 ? eps : -eps;
                        try (NDManager probeForward = forward.newSubManager()) {
                            NDArray xi = probeForward.create(moved, in);
                            loss[side] = block.forward(new ParameterStore(probeForward, false), new NDList(xi), true)
                                    .head().mul(probe).sum().getDouble();
                        }
                    }
                    double numeric = (loss[0] - loss[1]) / (2 * eps);
                    assertEquals(numeric, grad[i], 1e-5 + 1e-5 * Math.abs(numeric), "d loss / d x[" + i + "]");
                }
            }
        }
    }
}
