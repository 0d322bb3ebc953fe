package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import io.convzoo.blocks.Layers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short fine-tunes of a tiny net on Fashion-MNIST subsets (skipped when the dataset is not installed). */
class FineTunerTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsDataset() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                FashionMnistDataset.isInstalled(FashionMnistDataset.defaultDirectory()),
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    }

    static FashionMnistDataset train(int n, boolean augment) {
        FashionMnistDataset.Builder b = FashionMnistDataset.builder().optSubset(n, true).optSeed(3).setBatch(64, true);
        if (augment) {
            b.optAugmentation(2, true);
        }
        return b.build();
    }

    static FashionMnistDataset heldOut(int n) {
        return FashionMnistDataset.builder().optSplit(FashionMnistDataset.Split.TEST).optSubset(n, true)
                .setBatch(100, false).build();
    }

    static List<String> names() {
        return io.convzoo.zoo.Datasets.FASHION_MNIST_SPEC.classNames();
    }

    @Test
    void shortFineTuneBeatsChanceAndWritesHistoryAndCharts() throws Exception {
        TinyNets.TemperatureRecorder recorder = new TinyNets.TemperatureRecorder();
        try (Model model = TinyNets.tinyModel(1, 10, recorder)) {
            Path out = tmp.resolve("run");
            FineTuneConfig cfg = new FineTuneConfig().epochs(2).batchSize(64).sgd(0.1f, 0.9f, true)
                    .weightDecay(5e-4f).schedule(0.5, 0f).temperature(30, 1, 1).outputDir(out);
            FineTuner.Result r = new FineTuner(cfg).fit(model, train(2000, true), heldOut(500),
                    new Shape(64, 1, 28, 28), names());
            assertEquals(2, r.history().size());
            assertEquals(31, r.stepsPerEpoch());
            assertEquals(62, r.step());
            assertNotNull(r.confusion());
            assertEquals(500, r.confusion().total());
            // measured 0.67 after 2 epochs with this seed (chance is 0.10)
            assertTrue(r.confusion().accuracy() >= 0.5, "accuracy " + r.confusion().accuracy());
            assertEquals(r.history().get(1).valAccuracy(), r.confusion().accuracy(), 1e-6,
                    "trainer's Accuracy evaluator and ModelEvaluator agree on the final model");

            JsonObject history = FineTuner.readHistory(out.resolve("history.json"));
            for (String key : List.of("epoch", "train_loss", "val_loss", "val_accuracy", "lr", "seconds")) {
                assertEquals(2, history.getAsJsonArray(key).size(), key);
            }
            assertTrue(history.getAsJsonArray("train_loss").get(1).getAsDouble()
                    < history.getAsJsonArray("train_loss").get(0).getAsDouble(), "training loss falls");
            assertEquals(0.0, history.getAsJsonArray("lr").get(1).getAsDouble(), 1e-6, "cosine ends at 0");
            for (String png : List.of("loss.png", "accuracy.png", "confusion.png")) {
                byte[] bytes = Files.readAllBytes(out.resolve(png));
                assertTrue(bytes.length > 1000, png + " is " + bytes.length + " bytes");
                assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                        java.util.Arrays.copyOf(bytes, 8), png + " has a PNG signature");
            }
            assertTrue(Files.isRegularFile(out.resolve("model.params")));
            assertTrue(Files.isRegularFile(out.resolve("model-best.params")));
            assertTrue(Files.isDirectory(out.resolve("checkpoints/epoch-0002")));
            // temperature: 30 at step 0, linear to 1 after one epoch (31 steps), then 1
            assertEquals(62, recorder.seen.size());
            assertEquals(30f, recorder.seen.get(0));
            assertEquals(30f - 29f * 10 / 31, recorder.seen.get(10), 1e-4);
            assertEquals(1f, recorder.seen.get(40));
        }
    }

    @Test
    void frozenBackboneDoesNotChange() throws Exception {
        try (Model model = TinyNets.tinyModel(1, 10, null)) {
            Map<String, float[]> before = TinyNets.snapshot(model.getBlock());
            FineTuneConfig cfg = new FineTuneConfig().epochs(1).batchSize(64).sgd(0.1f, 0.9f, true)
                    .weightDecay(1e-3f).freezeBackbone(true);
            new FineTuner(cfg).fit(model, train(320, false), heldOut(100), new Shape(64, 1, 28, 28), names());
            Map<String, float[]> after = TinyNets.snapshot(model.getBlock());
            int frozen = 0;
            for (var p : model.getBlock().getParameters()) {
                String key = p.getKey();
                boolean changed = !java.util.Arrays.equals(before.get(key), after.get(key));
                if (key.contains("fc_")) {
                    assertTrue(changed, key + " (head) should train");
                } else if (Layers.isRunningStatistic(p.getValue())) {
                    assertTrue(changed, key + ": BatchNorm running statistics still adapt in training mode");
                } else {
                    assertFalse(changed, key + " is frozen but changed");
                    assertFalse(p.getValue().requiresGradient(), key);
                    frozen++;
                }
            }
            assertEquals(9, frozen, "conv1, bn1 gamma/beta, layer1 convs, their bn gamma/beta");
        }
    }

    @Test
    void resumeContinuesAtTheSameStepWithTheSameWeights() throws Exception {
        FineTuneConfig base = new FineTuneConfig().epochs(2).batchSize(64).sgd(0.05f, 0.9f, true).weightDecay(1e-3f)
                .schedule(0.5, 0f);
        byte[] init;
        Map<String, float[]> straight;
        FineTuner.Result full;
        try (Model a = TinyNets.tinyModel(1, 10, null)) {
            init = TinyNets.save(a.getBlock());
            full = new FineTuner(base.outputDir(tmp.resolve("a")))
                    .fit(a, train(640, true), heldOut(100), new Shape(64, 1, 28, 28), names());
            straight = TinyNets.snapshot(a.getBlock());
        }
        try (Model b = TinyNets.tinyModel(1, 10, null)) {
            TinyNets.load(b, init);
            FineTuner.Result half = new FineTuner(base.outputDir(tmp.resolve("b"))).stopAfterEpochs(1)
                    .fit(b, train(640, true), heldOut(100), new Shape(64, 1, 28, 28), names());
            assertEquals(1, half.history().size());
            assertEquals(10, half.step());
        }
        try (Model c = TinyNets.tinyModel(1, 10, null)) { // fresh weights: everything comes from the checkpoint
            FineTuner.Result resumed = new FineTuner(base.outputDir(tmp.resolve("b")).resumeFrom(tmp.resolve("b")))
                    .fit(c, train(640, true), heldOut(100), new Shape(64, 1, 28, 28), names());
            assertEquals(full.step(), resumed.step());
            assertEquals(20, resumed.step());
            assertEquals(2, resumed.history().size());
            for (int e = 0; e < 2; e++) {
                assertEquals(full.history().get(e).lr(), resumed.history().get(e).lr(), 0, "lr of epoch " + (e + 1));
                assertEquals(full.history().get(e).step(), resumed.history().get(e).step());
            }
            assertEquals(full.history().get(1).valAccuracy(), resumed.history().get(1).valAccuracy(), 1e-9);
            Map<String, float[]> after = TinyNets.snapshot(c.getBlock());
            for (var e : straight.entrySet()) {
                assertArrayEquals(e.getValue(), after.get(e.getKey()), 1e-6f, e.getKey());
            }
        }
    }

    @Test
    void earlyStoppingStopsWhenValidationAccuracyStalls() throws Exception {
        try (Model model = TinyNets.tinyModel(1, 10, null)) {
            // a learning rate of 1e-7 cannot move accuracy by 5 points: epoch 2 is "no gain", patience 1
            FineTuneConfig cfg = new FineTuneConfig().epochs(6).batchSize(64).sgd(1e-7f, 0f, false).weightDecay(0f)
                    .earlyStopping(1, 0.05f).outputDir(tmp.resolve("es"));
            FineTuner.Result r = new FineTuner(cfg).fit(model, train(128, false), heldOut(100),
                    new Shape(64, 1, 28, 28), names());
            assertTrue(r.stoppedEarly());
            assertEquals(2, r.history().size());
            assertEquals(1, r.bestEpoch());
            assertTrue(FineTuner.readHistory(tmp.resolve("es/history.json")).get("stopped_early").getAsBoolean());
        }
    }
}
