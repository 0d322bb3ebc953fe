package io.convzoo.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.convzoo.serving.api.GatedRunner;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.TestImages;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelStats;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConvZooHttpServerTest {

    static final String MODEL = "pyconvresnet_small";
    static final long MAX_BODY = 64 * 1024;
    static ConvZooHttpServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 4, 2, 64, 60_000))
                .addZooModel(MODEL, false).build();
        server = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0), MAX_BODY, 32);
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void pingModelsAndModelDetail() throws Exception {
        HttpResponse<String> ping = http.get("/ping");
        assertEquals(200, ping.statusCode());
        assertEquals("Healthy", Http.json(ping).getAsJsonObject().get("status").getAsString());

        JsonArray models = Http.json(http.get("/models")).getAsJsonObject().get("models").getAsJsonArray();
        assertEquals(1, models.size());
        JsonObject m = models.get(0).getAsJsonObject();
        assertEquals(MODEL, m.get("modelName").getAsString());
        if (PretrainedWeights.isInstalled(MODEL, "fashion-mnist")) {
            assertEquals("installed", m.get("weights").getAsString());
            assertTrue(!m.has("warning"), m.toString());
        } else {
            assertEquals("untrained", m.get("weights").getAsString());
            assertTrue(m.get("warning").getAsString().contains("randomly initialized"));
        }

        HttpResponse<String> detail = http.get("/models/" + MODEL);
        assertEquals(200, detail.statusCode());
        JsonObject d = Http.json(detail).getAsJsonObject();
        ModelStats.Entry stats = ModelStats.of(ModelRegistry.get(MODEL));
        assertEquals(stats.params(), d.get("params").getAsLong());
        assertEquals(stats.macs(), d.get("macs").getAsLong());
        assertEquals("pyconv", d.get("family").getAsString());
        assertEquals("[1,1,28,28]", d.get("inputShape").toString());
        assertEquals(4, d.get("batchSize").getAsInt());
        assertEquals(2, d.get("maxBatchDelayMs").getAsInt());
        assertEquals(1, d.get("workers").getAsInt());
        assertEquals(64, d.get("queueCapacity").getAsInt());
        assertEquals(10, d.get("classNames").getAsJsonArray().size());
        // Live: ONNX Runtime on this CPU, plus any batch shapes runtime=auto measured faster on libtorch.
        assertTrue(d.get("runtime").getAsString().startsWith("onnxruntime"), d.toString());
        assertTrue(!m.has("runtime"), "the runtime is in the detail only: " + m);
    }

    @Test
    void predictionsGiveSortedTopKOfFashionMnistClasses() throws Exception {
        HttpResponse<String> r = http.post("/predictions/" + MODEL, TestImages.png(56, 3), "image/png");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonArray top = Http.json(r).getAsJsonArray();
        assertEquals(5, top.size());
        double previous = 1.0;
        for (int i = 0; i < top.size(); i++) {
            JsonObject p = top.get(i).getAsJsonObject();
            assertTrue(Datasets.FASHION_MNIST_SPEC.classNames().contains(p.get("className").getAsString()));
            double prob = p.get("probability").getAsDouble();
            assertTrue(prob > 0 && prob <= previous, "descending: " + top);
            previous = prob;
        }
        assertEquals(3, Http.json(http.post("/predictions/" + MODEL + "?topk=3", TestImages.jpeg(30, 1), "image/jpeg"))
                .getAsJsonArray().size());
        // The CLI's name for it (predict --top) works too.
        assertEquals(2, Http.json(http.post("/predictions/" + MODEL + "?top=2", TestImages.jpeg(30, 1), "image/jpeg"))
                .getAsJsonArray().size());
        JsonArray all = Http.json(http.post("/predictions/" + MODEL + "?topk=100", TestImages.png(28, 2), "image/png"))
                .getAsJsonArray();
        assertEquals(10, all.size(), "topk above the class count gives every class");
        double sum = 0;
        for (int i = 0; i < all.size(); i++) {
            sum += all.get(i).getAsJsonObject().get("probability").getAsDouble();
        }
        assertEquals(1.0, sum, 1e-5);
    }

    @Test
    void multipartDataPartGivesTheSameAnswerAsARawBody() throws Exception {
        byte[] png = TestImages.png(40, 7);
        HttpResponse<String> raw = http.post("/predictions/" + MODEL + "?topk=10", png, "image/png");
        HttpResponse<String> multi = http.post("/predictions/" + MODEL + "?topk=10", Http.multipart("XyZ123b", "data", png),
                "multipart/form-data; boundary=XyZ123b");
        assertEquals(200, multi.statusCode(), multi.body());
        JsonArray a = Http.json(raw).getAsJsonArray();
        JsonArray b = Http.json(multi).getAsJsonArray();
        assertEquals(10, b.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(a.get(i).getAsJsonObject().get("className"), b.get(i).getAsJsonObject().get("className"));
            assertEquals(a.get(i).getAsJsonObject().get("probability").getAsDouble(),
                    b.get(i).getAsJsonObject().get("probability").getAsDouble(), 1e-6);
        }
        HttpResponse<String> broken = http.post("/predictions/" + MODEL, "--nope\r\n".getBytes(StandardCharsets.UTF_8),
                "multipart/form-data; boundary=XyZ123b");
        assertClientError(broken, 400);
    }

    @Test
    void clientMistakesAreJson4xxNever500() throws Exception {
        assertClientError(http.post("/predictions/" + MODEL, "this is not an image".getBytes(StandardCharsets.UTF_8),
                "image/png"), 400);
        assertClientError(http.post("/predictions/" + MODEL, new byte[0], "image/png"), 400);
        assertClientError(http.post("/predictions/" + MODEL + "?topk=zero", TestImages.png(28, 1), "image/png"), 400);
        assertClientError(http.post("/predictions/" + MODEL + "?topk=0", TestImages.png(28, 1), "image/png"), 400);
        assertClientError(http.post("/predictions/" + MODEL + "?top=-1", TestImages.png(28, 1), "image/png"), 400);
        HttpResponse<String> tooBig = http.post("/predictions/" + MODEL, new byte[(int) MAX_BODY + 1], "image/png");
        assertClientError(tooBig, 413);
        assertEquals("close", tooBig.headers().firstValue("Connection").orElse("").toLowerCase(java.util.Locale.ROOT));
        HttpResponse<String> unknown = http.post("/predictions/resnet9000", TestImages.png(28, 1), "image/png");
        assertClientError(unknown, 404);
        assertTrue(Http.json(unknown).getAsJsonObject().get("message").getAsString().contains(MODEL));
        assertClientError(http.get("/models/resnet9000"), 404);
        assertClientError(http.get("/predictions/" + MODEL), 405);
        assertClientError(http.get("/no/such/thing"), 404);
    }

    @Test
    void kserveV2InferReturnsLogitsPerItem() throws Exception {
        float[] data = new float[2 * 28 * 28];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i % 17) / 17f - 0.5f;
        }
        String body = "{\"id\":\"req-1\",\"inputs\":[{\"name\":\"input0\",\"shape\":[2,1,28,28],\"datatype\":\"FP32\",\"data\":"
                + Arrays.toString(data) + "}]}";
        HttpResponse<String> r = http.post("/v2/models/" + MODEL + "/infer", body.getBytes(StandardCharsets.UTF_8),
                "application/json");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject json = Http.json(r).getAsJsonObject();
        assertEquals("req-1", json.get("id").getAsString());
        assertEquals(MODEL, json.get("model_name").getAsString());
        JsonObject out = json.get("outputs").getAsJsonArray().get(0).getAsJsonObject();
        assertEquals("[2,10]", out.get("shape").toString());
        assertEquals("FP32", out.get("datatype").getAsString());
        assertEquals(20, out.get("data").getAsJsonArray().size());

        HttpResponse<String> wrongShape = http.post("/v2/models/" + MODEL + "/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,28,28],\"datatype\":\"FP32\",\"data\":[0]}]}"
                        .getBytes(StandardCharsets.UTF_8), "application/json");
        assertClientError(wrongShape, 400);
        assertTrue(Http.json(wrongShape).getAsJsonObject().get("message").getAsString().contains("[N, 1, 28, 28]"),
                wrongShape.body());
        assertClientError(http.post("/v2/models/" + MODEL + "/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}"
                        .getBytes(StandardCharsets.UTF_8), "application/json"), 400);
        assertClientError(http.post("/v2/models/" + MODEL + "/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,28,28],\"datatype\":\"INT8\",\"data\":[1]}]}"
                        .getBytes(StandardCharsets.UTF_8), "application/json"), 400);
        assertClientError(http.post("/v2/models/" + MODEL + "/infer", "{not json".getBytes(StandardCharsets.UTF_8),
                "application/json"), 400);
        assertClientError(http.post("/v2/models/nope/infer", "{}".getBytes(StandardCharsets.UTF_8), "application/json"), 404);
        JsonObject meta = Http.json(http.get("/v2/models/" + MODEL)).getAsJsonObject();
        assertEquals("[-1,1,28,28]", meta.get("inputs").getAsJsonArray().get(0).getAsJsonObject().get("shape").toString());
    }

    @Test
    void metricsCountRequestsLatencyBatchesAndQueue() throws Exception {
        String before = http.get("/metrics").body();
        long ok = counter(before, "convzoo_requests_total{model=\"" + MODEL + "\",status=\"200\"}");
        long bad = counter(before, "convzoo_requests_total{model=\"" + MODEL + "\",status=\"400\"}");
        long batches = counter(before, "convzoo_batch_size_count{model=\"" + MODEL + "\"}");
        assertEquals(200, http.post("/predictions/" + MODEL, TestImages.png(28, 5), "image/png").statusCode());
        assertEquals(200, http.post("/predictions/" + MODEL, TestImages.png(28, 6), "image/png").statusCode());
        assertEquals(400, http.post("/predictions/" + MODEL, new byte[] {1, 2, 3}, "image/png").statusCode());
        HttpResponse<String> r = http.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String after = r.body();
        assertEquals(ok + 2, counter(after, "convzoo_requests_total{model=\"" + MODEL + "\",status=\"200\"}"));
        assertEquals(bad + 1, counter(after, "convzoo_requests_total{model=\"" + MODEL + "\",status=\"400\"}"));
        assertEquals(batches + 2, counter(after, "convzoo_batch_size_count{model=\"" + MODEL + "\"}"));
        assertTrue(after.contains("# TYPE convzoo_request_latency_seconds histogram"));
        assertTrue(counter(after, "convzoo_request_latency_seconds_bucket{model=\"" + MODEL + "\",le=\"+Inf\"}")
                >= ok + bad + 3);
        assertEquals(0, counter(after, "convzoo_queue_depth{model=\"" + MODEL + "\"}"));
    }

    static long counter(String text, String series) {
        // Micrometer's Prometheus registry writes counts as doubles ("2.0").
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\d+)(?:\\.0)?$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    static void assertClientError(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject error = Http.json(r).getAsJsonObject();
        assertEquals(status, error.get("code").getAsInt());
        assertNotNull(error.get("type").getAsString());
        assertTrue(error.get("message").getAsString().length() > 10, r.body());
    }

    @Test
    void fullQueueAnswers503WithRetryAfterAndShutdownFinishesInFlight() throws Exception {
        GatedRunner runner = new GatedRunner();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 1, 0, 2, 60_000))
                .add(GatedRunner.model("gated"), () -> runner).build();
        ConvZooHttpServer gated = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0), MAX_BODY, 8);
        Http client = new Http(gated.port());
        String body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        inFlight.add(client.client.sendAsync(client.request("/v2/models/gated/infer", body.getBytes(StandardCharsets.UTF_8),
                "application/json"), HttpResponse.BodyHandlers.ofString()));
        assertTrue(runner.entered.await(30, TimeUnit.SECONDS));
        for (int i = 0; i < 2; i++) {
            inFlight.add(client.client.sendAsync(client.request("/v2/models/gated/infer",
                    body.getBytes(StandardCharsets.UTF_8), "application/json"), HttpResponse.BodyHandlers.ofString()));
        }
        // Bounded wait until both queued requests sit in the queue (they travel through HTTP first).
        for (int i = 0; i < 2000 && service.model("gated").queueDepth() < 2; i++) {
            Thread.sleep(5);
        }
        assertEquals(2, service.model("gated").queueDepth());
        HttpResponse<String> full = client.post("/v2/models/gated/infer", body.getBytes(StandardCharsets.UTF_8),
                "application/json");
        assertClientError(full, 503);
        assertEquals("1", full.headers().firstValue("Retry-After").orElse(null));

        Thread closer = new Thread(gated::close);
        closer.start();
        for (int i = 0; i < 2000 && !service.isClosed(); i++) {
            Thread.sleep(5);
        }
        runner.gate.countDown();
        closer.join(60_000);
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "in-flight request answered during shutdown: " + r.body());
            assertEquals("[1,2]", Http.json(r).getAsJsonObject().get("outputs").getAsJsonArray().get(0)
                    .getAsJsonObject().get("shape").toString());
        }
        assertEquals(3, runner.itemsRun.get());
    }
}
