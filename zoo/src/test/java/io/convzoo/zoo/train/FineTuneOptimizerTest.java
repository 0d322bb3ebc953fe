package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The update rules against hand-computed PyTorch formulas, per-group learning rates, state round trip. */
class FineTuneOptimizerTest {

    private static final float[] W0 = {1f, -2f, 0.5f};
    private static final float[] G1 = {0.1f, 0.2f, -0.3f};
    private static final float[] G2 = {-0.2f, 0.05f, 0.4f};

    @Test
    void sgdNesterovWithWeightDecayMatchesPyTorch() {
        float lr = 0.1f;
        float mu = 0.9f;
        float wd = 0.01f;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(W0.clone());
            FineTuneOptimizer opt = FineTuneOptimizer.sgd(Tracker.fixed(lr)).optMomentum(mu, true)
                    .optWeightDecay(wd).build();
            opt.update("p", w, m.create(G1));
            opt.update("p", w, m.create(G2));
            double[] expected = new double[3];
            for (int i = 0; i < 3; i++) {
                double x = W0[i];
                double g = G1[i] + wd * x;
                double buf = g;
                x -= lr * (g + mu * buf);
                g = G2[i] + wd * x;
                buf = mu * buf + g;
                x -= lr * (g + mu * buf);
                expected[i] = x;
            }
            assertArrayEquals(toFloat(expected), w.toFloatArray(), 1e-6f);
            assertEquals(2, opt.step());
        }
    }

    @Test
    void adamWMatchesPyTorch() {
        float lr = 0.01f;
        float wd = 0.05f;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(W0.clone());
            FineTuneOptimizer opt = FineTuneOptimizer.adamW(Tracker.fixed(lr)).optWeightDecay(wd).build();
            opt.update("p", w, m.create(G1));
            opt.update("p", w, m.create(G2));
            double b1 = 0.9;
            double b2 = 0.999;
            double eps = 1e-8;
            double[] expected = new double[3];
            for (int i = 0; i < 3; i++) {
                double x = W0[i];
                double mm = 0;
                double vv = 0;
                float[][] grads = {G1, G2};
                for (int t = 1; t <= 2; t++) {
                    double g = grads[t - 1][i];
                    x *= 1 - lr * wd;
                    mm = b1 * mm + (1 - b1) * g;
                    vv = b2 * vv + (1 - b2) * g * g;
                    x -= lr / (1 - Math.pow(b1, t)) * mm / (Math.sqrt(vv / (1 - Math.pow(b2, t))) + eps);
                }
                expected[i] = x;
            }
            assertArrayEquals(toFloat(expected), w.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void backboneGroupGetsItsScaledLearningRate() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter backbone = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build();
            GroupLearningRate lr = new GroupLearningRate(Tracker.fixed(0.5f)).scale(List.of(backbone), 0.1f);
            FineTuneOptimizer opt = FineTuneOptimizer.sgd(lr).build();
            NDArray wb = m.create(W0.clone());
            NDArray wh = m.create(W0.clone());
            opt.update(backbone.getId(), wb, m.create(G1));
            opt.update("head", wh, m.create(G1));
            for (int i = 0; i < 3; i++) {
                assertEquals(-0.05f * G1[i], wb.toFloatArray()[i] - W0[i], 1e-6, "backbone step = 0.1 × 0.5 × grad");
                assertEquals(-0.5f * G1[i], wh.toFloatArray()[i] - W0[i], 1e-6, "head step = 0.5 × grad");
            }
            assertEquals(0.05f, lr.getNewValue(backbone.getId(), 7), 1e-7);
            assertEquals(0.5f, lr.getNewValue("head", 7), 1e-7);
        }
    }

    @Test
    void savedStateContinuesIdentically() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Tracker schedule = Tracker.cosine().setBaseValue(0.1f).optFinalValue(0f).setMaxUpdates(10).build();
            NDArray w = m.create(W0.clone());
            FineTuneOptimizer a = FineTuneOptimizer.sgd(schedule).optMomentum(0.9f, false).optWeightDecay(1e-3f).build();
            a.update("p", w, m.create(G1));
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            a.save(saved);
            NDArray w2 = w.duplicate();
            a.update("p", w, m.create(G2));

            FineTuneOptimizer b = FineTuneOptimizer.sgd(schedule).optMomentum(0.9f, false).optWeightDecay(1e-3f).build();
            b.load(new ByteArrayInputStream(saved.toByteArray()), m);
            assertEquals(1, b.step());
            b.update("p", w2, m.create(G2));
            assertEquals(2, b.step());
            assertArrayEquals(w.toFloatArray(), w2.toFloatArray());
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
