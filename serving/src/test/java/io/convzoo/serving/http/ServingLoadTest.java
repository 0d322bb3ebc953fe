package io.convzoo.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.serving.api.Histogram;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized load test on 127.0.0.1 (the full 16 × 1,000 run is {@code convzoo serve bench}):
 * valid requests all succeed while garbage is mixed in, concurrent requests get batched, and a
 * shutdown in the middle of load answers or cleanly refuses every request.
 */
class ServingLoadTest {

    static final String MODEL = "res2net_small";

    @Test
    void concurrentClientsWithGarbageThenShutdownUnderLoad() throws Exception {
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 8, 20, 256, 120_000))
                .addZooModel(MODEL, false).build();
        ConvZooHttpServer server = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0),
                ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES, ConvZooHttpServer.handlerThreadsFor(service));
        List<byte[]> images = LoadBench.images(16);
        try {
            LoadBench.LoadStats stats = LoadBench.load(server.port(), MODEL, images, 4, 50, 10);
            assertEquals(200, stats.validSent());
            assertEquals(200, stats.validOk(), "every valid request answered 200: " + stats);
            assertEquals(0, stats.transportErrors(), stats.toString());
            assertEquals(20, stats.garbageSent());
            assertTrue(stats.garbageStatuses().keySet().stream().allMatch(s -> s == 400 || s == 404),
                    "garbage gets 400/404, never 5xx: " + stats.garbageStatuses());
            assertTrue(stats.clean());

            Histogram sizes = service.metrics().batchSizes(MODEL);
            assertEquals(200, (long) sizes.sum(), "every valid request ran in exactly one batch");
            assertTrue(sizes.count() < 200 && sizes.cumulativeCounts()[0] < sizes.count(),
                    "4 concurrent clients with a 20 ms batch delay share batches: " + sizes.count() + " batches");
            assertEquals(200, service.metrics().requests(MODEL, 200));

            LoadBench.ShutdownStats shutdown = LoadBench.shutdownDuringLoad(server, MODEL, images, 4, 100, 20);
            assertTrue(shutdown.clean(), "every request answered or cleanly refused: " + shutdown);
            assertTrue(shutdown.answered200() >= 20, shutdown.toString());
            assertTrue(shutdown.refused503() + shutdown.connectionRefused() >= 1,
                    "clients that kept sending were refused: " + shutdown);
            assertTrue(service.isClosed());
        } finally {
            server.close();
        }
    }
}
