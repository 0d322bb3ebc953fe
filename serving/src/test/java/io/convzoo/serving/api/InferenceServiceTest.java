package io.convzoo.serving.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.zoo.djl.WeightsNotInstalledException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InferenceServiceTest {

    @Test
    void realModelAnswersTopKAndBatchedAnswersEqualSingleOnes() throws Exception {
        ServingConfig config = new ServingConfig(1, 8, 300, 64, 60_000);
        try (InferenceService service = InferenceService.builder().config(config)
                .addZooModel("pyconvresnet_small", false).build()) {
            ServedModel info = service.model("pyconvresnet_small").info();
            assertEquals(PretrainedWeights.isInstalled("pyconvresnet_small", "fashion-mnist")
                    ? ServedModel.WEIGHTS_INSTALLED : ServedModel.WEIGHTS_UNTRAINED, info.weights());
            assertEquals(List.of(1L, 28L, 28L), List.of(info.inputShape()[0], info.inputShape()[1], info.inputShape()[2]));
            assertEquals(Datasets.FASHION_MNIST_SPEC.classNames(), info.classNames());

            int n = 6;
            List<List<Prediction>> single = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                single.add(service.classify("pyconvresnet_small", TestImages.png(40, i), 10));
            }
            for (List<Prediction> top : single) {
                assertEquals(10, top.size());
                double sum = 0;
                for (int k = 0; k < top.size(); k++) {
                    sum += top.get(k).probability();
                    if (k > 0) {
                        assertTrue(top.get(k - 1).probability() >= top.get(k).probability(), "sorted: " + top);
                    }
                    assertTrue(info.classNames().contains(top.get(k).className()));
                }
                assertEquals(1.0, sum, 1e-5);
            }
            long batchesBefore = service.model("pyconvresnet_small").batchesRun();
            assertEquals(n, batchesBefore, "one batch per sequential request");

            List<CompletableFuture<List<Prediction>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(service.classifyAsync("pyconvresnet_small", TestImages.png(40, i), 3));
            }
            for (int i = 0; i < n; i++) {
                List<Prediction> batched = futures.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(3, batched.size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(single.get(i).get(k).className(), batched.get(k).className());
                    assertEquals(single.get(i).get(k).probability(), batched.get(k).probability(), 1e-4);
                }
            }
            // Six requests queued within the 300 ms window run in fewer batches than requests.
            long batchesAfter = service.model("pyconvresnet_small").batchesRun();
            assertTrue(batchesAfter - batchesBefore < n, "concurrent requests were batched: "
                    + (batchesAfter - batchesBefore) + " batches for " + n);
            Histogram sizes = service.metrics().batchSizes("pyconvresnet_small");
            assertTrue(sizes.cumulativeCounts()[0] < sizes.count(), "some batch had more than one request");
            assertEquals(2 * n, (long) sizes.sum());
        }
    }

    @Test
    void badInputsAreBadInputExceptions() throws Exception {
        try (InferenceService service = InferenceService.builder()
                .config(new ServingConfig(1, 2, 0, 4, 10_000))
                .add(GatedRunner.model("fake"), GatedRunner::new).build()) {
            BadInputException shape = assertThrows(BadInputException.class, () -> service.infer("fake", new float[5]));
            assertTrue(shape.getMessage().contains("[1, 2, 2]"), shape.getMessage());
            assertEquals(400, shape.status());
            BadInputException notImage = assertThrows(BadInputException.class,
                    () -> service.classify("fake", "hello, not an image".getBytes(), 5));
            assertTrue(notImage.getMessage().contains("not an image"), notImage.getMessage());
            assertThrows(BadInputException.class, () -> service.classify("fake", new byte[0], 5));
            byte[] truncated = java.util.Arrays.copyOf(TestImages.png(64, 1), 40);
            assertEquals(400, assertThrows(BadInputException.class, () -> service.classify("fake", truncated, 5)).status());
            ModelNotServedException unknown = assertThrows(ModelNotServedException.class,
                    () -> service.infer("nope", new float[4]));
            assertEquals(404, unknown.status());
            assertTrue(unknown.getMessage().contains("fake"), unknown.getMessage());
        }
    }

    @Test
    void imagenetModelWithoutWeightsNeedsUntrainedFlag() {
        WeightsNotInstalledException e = assertThrows(WeightsNotInstalledException.class,
                () -> InferenceService.builder().addZooModel("dy_resnet18", false));
        // The embedded API names the Java call; the command line puts its flag there (CliConsistencyTest).
        assertTrue(e.getMessage().contains(io.convzoo.zoo.djl.PretrainedWeights.UNTRAINED_IN_JAVA), e.getMessage());
    }

    @Test
    void fullQueueRefusesWithQueueFull() throws Exception {
        GatedRunner runner = new GatedRunner();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 1, 0, 2, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        CompletableFuture<float[]> running = service.infer("fake", new float[] {1, 1, 1, 1});
        assertTrue(runner.entered.await(30, TimeUnit.SECONDS));
        CompletableFuture<float[]> q1 = service.infer("fake", new float[] {2, 2, 2, 2});
        CompletableFuture<float[]> q2 = service.infer("fake", new float[] {3, 3, 3, 3});
        assertEquals(2, service.model("fake").queueDepth());
        QueueFullException full = assertThrows(QueueFullException.class, () -> service.infer("fake", new float[4]));
        assertEquals(503, full.status());
        runner.gate.countDown();
        assertEquals(4f, running.get(30, TimeUnit.SECONDS)[0]);
        assertEquals(8f, q1.get(30, TimeUnit.SECONDS)[0]);
        assertEquals(12f, q2.get(30, TimeUnit.SECONDS)[0]);
        service.close();
    }

    @Test
    void oneWorkerAtATimeFormsABatch() throws Exception {
        // Two idle workers, batch 8: a wave of 8 requests must become ONE batch of 8, not be spread over
        // both workers (each then waiting out the delay for a batch that cannot fill).
        GatedRunner runner = new GatedRunner();
        runner.gate.countDown();
        InferenceService service = InferenceService.builder().config(new ServingConfig(2, 8, 10_000, 16, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        List<CompletableFuture<float[]>> wave = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            wave.add(service.infer("fake", new float[] {i, 0, 0, 0}));
        }
        for (int i = 0; i < 8; i++) {
            float[] out = wave.get(i).get(30, TimeUnit.SECONDS);
            assertEquals((float) i, out[0], "request " + i + " got its own answer");
            assertEquals(8f, out[1], "request " + i + " ran in a batch of 8");
        }
        assertEquals(1, service.model("fake").batchesRun());
        service.close();
    }

    @Test
    void timedOutRequestFailsAndIsNotRun() throws Exception {
        GatedRunner runner = new GatedRunner();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 1, 0, 4, 200))
                .add(GatedRunner.model("fake"), () -> runner).build();
        CompletableFuture<float[]> blocking = service.infer("fake", new float[] {1, 1, 1, 1});
        assertTrue(runner.entered.await(30, TimeUnit.SECONDS));
        CompletableFuture<float[]> waiting = service.infer("fake", new float[] {2, 2, 2, 2});
        RequestTimeoutException timeout = assertThrows(RequestTimeoutException.class,
                () -> InferenceService.await(waiting));
        assertEquals(503, timeout.status());
        assertThrows(RequestTimeoutException.class, () -> InferenceService.await(blocking));
        runner.gate.countDown();
        service.close(); // drains: the worker finishes the first batch and drops the timed-out one
        assertEquals(1, runner.itemsRun.get(), "the timed-out queued request never reached the model");
        assertEquals(1, service.metrics().skipped("fake"));
    }

    @Test
    void closeRefusesNewRequestsAndFinishesInFlightOnes() throws Exception {
        GatedRunner runner = new GatedRunner();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 2, 0, 16, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        List<CompletableFuture<float[]>> inFlight = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inFlight.add(service.infer("fake", new float[] {i, 0, 0, 0}));
        }
        assertTrue(runner.entered.await(30, TimeUnit.SECONDS));
        Thread closer = new Thread(service::close);
        closer.start();
        // close() refuses new work at once; a bounded wait for that flag, not for a duration.
        for (int i = 0; i < 1000 && !service.isClosed(); i++) {
            Thread.sleep(5);
        }
        assertTrue(service.isClosed());
        assertThrows(ServiceClosedException.class, () -> service.infer("fake", new float[4]));
        assertFalse(inFlight.get(4).isDone(), "queued work is still pending while the model is blocked");
        runner.gate.countDown();
        closer.join(60_000);
        assertFalse(closer.isAlive());
        for (int i = 0; i < 5; i++) {
            assertEquals((float) i, inFlight.get(i).get(1, TimeUnit.SECONDS)[0], "request " + i + " was answered");
        }
        assertEquals(5, runner.itemsRun.get());
    }
}
