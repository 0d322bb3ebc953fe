package io.convzoo.serving.http;

import static io.convzoo.serving.http.ConvZooHttpServerTest.assertClientError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.convzoo.serving.api.GatedRunner;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.TestImages;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API on its own port: register (zoo id, model directory), scale, unregister and
 * describe, with every error it answers. The server starts with a test double only; the zoo models
 * are loaded by the API.
 */
class ManagementApiTest {

    static final String TOKEN = "mgmt-test-token";
    static final byte[] V2_BODY = AccessControlTest.V2_BODY;
    static GatedRunner runner = new GatedRunner();
    static ConvZooHttpServer server;
    static Http inference;
    static Http management;

    @BeforeAll
    static void start() throws Exception {
        // Start the engine on this (the test JVM's main) thread: DJL turns libtorch's grad mode off
        // on the thread that starts it, and grad mode is per thread. Started first by the register
        // below on an HTTP thread, it left the main thread's grad mode on, and later tests running
        // eager forwards there failed in-place ops on parameters that require grad.
        ai.djl.engine.Engine.getEngine("PyTorch");
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 2, 0, 8, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        server = ConvZooHttpServer.start(service, HttpServerOptions.of(new InetSocketAddress("127.0.0.1", 0), 1 << 16, 32)
                .withTokens(null, TOKEN).withManagement(new InetSocketAddress("127.0.0.1", 0), false));
        inference = new Http(server.port());
        management = new Http(server.managementPort());
    }

    @AfterAll
    static void stop() {
        runner.gate.countDown();
        server.close();
    }

    static HttpResponse<String> manage(String method, String path, String body) throws Exception {
        return management.send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
    }

    @Test
    void registerAZooIdServeItAndUnregisterIt() throws Exception {
        HttpResponse<String> r = manage("POST", "/models?url=pyconvresnet_small&model_name=pyc&initial_workers=1&batch_size=3",
                null);
        assertEquals(201, r.statusCode(), r.body());
        JsonObject model = Http.json(r).getAsJsonObject().get("model").getAsJsonObject();
        assertEquals("pyc", model.get("modelName").getAsString());
        assertEquals(3, model.get("batchSize").getAsInt());
        assertEquals(1, model.get("workers").getAsInt());
        assertEquals(0.9310, model.get("accuracy").getAsDouble(), 1e-9);

        HttpResponse<String> predicted = inference.post("/predictions/pyc?topk=2", TestImages.png(28, 3), "image/png");
        assertEquals(200, predicted.statusCode(), predicted.body());
        assertEquals(2, Http.json(predicted).getAsJsonArray().size());
        JsonArray listed = Http.json(inference.get("/models")).getAsJsonObject().get("models").getAsJsonArray();
        assertTrue(listed.toString().contains("\"modelName\":\"pyc\""), listed.toString());

        HttpResponse<String> duplicate = manage("POST", "/models?url=pyconvresnet_small&model_name=pyc", null);
        assertClientError(duplicate, 409);
        assertTrue(duplicate.body().contains("already served"), duplicate.body());

        HttpResponse<String> gone = manage("DELETE", "/models/pyc", null);
        assertEquals(200, gone.statusCode(), gone.body());
        assertEquals("model 'pyc' unregistered", Http.json(gone).getAsJsonObject().get("status").getAsString());
        assertClientError(inference.post("/predictions/pyc", TestImages.png(28, 3), "image/png"), 404);
        assertClientError(manage("DELETE", "/models/pyc", null), 404);
        assertClientError(manage("GET", "/models/pyc", null), 404);
    }

    @Test
    void registerAModelDirectoryFromAJsonBody(@TempDir Path tmp) throws Exception {
        // A model directory as 'convzoo import' writes one: the weights named after their folder.
        Path weights = PretrainedWeights.find("res2net_small", "fashion-mnist").orElseThrow();
        Path dir = Files.createDirectories(tmp.resolve("res2net_small"));
        Files.copy(weights.resolve("res2net_small-0000.params"), dir.resolve("res2net_small-0000.params"));
        Files.writeString(dir.resolve("serving.properties"), String.join("\n",
                "blockFactory=" + io.convzoo.zoo.djl.ConvZooBlockFactory.class.getName(),
                "translatorFactory=" + io.convzoo.zoo.djl.ConvZooTranslatorFactory.class.getName(),
                "engine=PyTorch", "option.modelName=res2net_small", "modelId=res2net_small", "dataset=fashion-mnist",
                "numClasses=10", "inputChannels=1", "testAccuracy=0.9305", ""));
        String body = "{\"url\": " + HttpCall.GSON.toJson(dir.toString()) + ", \"model_name\": \"r2dir\", \"max_batch_delay\": 7}";
        HttpResponse<String> r = manage("POST", "/models", body);
        assertEquals(201, r.statusCode(), r.body());
        JsonObject model = Http.json(r).getAsJsonObject().get("model").getAsJsonObject();
        assertEquals("res2net", model.get("family").getAsString());
        assertEquals(7, model.get("maxBatchDelayMs").getAsInt());
        assertEquals(10, model.get("classNames").getAsJsonArray().size());
        assertEquals(0.9305, model.get("accuracy").getAsDouble(), 1e-9);
        HttpResponse<String> predicted = inference.post("/predictions/r2dir", TestImages.png(28, 1), "image/png");
        assertEquals(200, predicted.statusCode(), predicted.body());
        assertEquals(200, manage("DELETE", "/models/r2dir", null).statusCode());
    }

    @Test
    void badRegistrationsAre400() throws Exception {
        HttpResponse<String> unknown = manage("POST", "/models?url=resnet9000", null);
        assertClientError(unknown, 400);
        assertTrue(unknown.body().contains("neither a zoo model id"), unknown.body());
        assertClientError(manage("POST", "/models", "{not json"), 400);
        assertClientError(manage("POST", "/models", ""), 400);
        assertClientError(manage("POST", "/models", "{\"model_name\": \"x\"}"), 400);
        assertClientError(manage("POST", "/models", "{\"url\": \"pyconvresnet_small\", \"initial_workers\": \"many\"}"), 400);
        assertClientError(manage("POST", "/models?url=pyconvresnet_small&initial_workers=0", null), 400);
        assertClientError(manage("POST", "/models?url=pyconvresnet_small&initial_workers=two", null), 400);
        HttpResponse<String> typo = manage("POST", "/models?url=pyconvresnet_small&workers_min=2", null);
        assertClientError(typo, 400);
        assertTrue(typo.body().contains("initial_workers"), typo.body());
        HttpResponse<String> notADir = manage("POST", "/models?url=" + System.getProperty("java.io.tmpdir"), null);
        assertClientError(notADir, 400);
        assertEquals(List.of("fake"), server.service().models().stream().map(e -> e.info().name()).toList());
    }

    @Test
    void scaleReplacesTheWorkersAndFinishesWhatTheOldOnesHeld() throws Exception {
        // One request held at the runner's gate while the model is rescaled: it is still answered.
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        inFlight.add(inference.client.sendAsync(inference.request("/v2/models/fake/infer", V2_BODY, "application/json"),
                HttpResponse.BodyHandlers.ofString()));
        assertTrue(runner.entered.await(30, TimeUnit.SECONDS));
        CompletableFuture<HttpResponse<String>> scaled = CompletableFuture.supplyAsync(() -> {
            try {
                return manage("PUT", "/models/fake?min_worker=3&batch_size=4", null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        for (int i = 0; i < 2000 && server.service().model("fake").config().workers() != 3; i++) {
            Thread.sleep(5);
        }
        assertEquals(3, server.service().model("fake").config().workers(), "the new endpoint takes requests at once");
        runner.gate.countDown();
        HttpResponse<String> r = scaled.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject model = Http.json(r).getAsJsonObject().get("model").getAsJsonObject();
        assertEquals(3, model.get("workers").getAsInt());
        assertEquals(4, model.get("batchSize").getAsInt());
        assertEquals(8, model.get("queueCapacity").getAsInt(), "settings not named stay");
        assertEquals(200, inFlight.get(0).get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, inference.post("/v2/models/fake/infer", V2_BODY, "application/json").statusCode());
        assertEquals(3, Http.json(manage("GET", "/models/fake", null)).getAsJsonObject().get("workers").getAsInt());

        assertClientError(manage("PUT", "/models/fake", null), 400);
        assertClientError(manage("PUT", "/models/fake?min_worker=0", null), 400);
        assertClientError(manage("PUT", "/models/fake", "{\"batch_size\": -1}"), 400);
        assertClientError(manage("PUT", "/models/nope?min_worker=2", null), 404);
    }

    @Test
    void routesAndMethods() throws Exception {
        assertClientError(manage("GET", "/", null), 404);
        assertClientError(manage("POST", "/predictions/fake", "{}"), 404);
        assertClientError(manage("PATCH", "/models/fake", "{}"), 405);
        HttpResponse<String> wrongPort = inference.send("POST", "/models?url=res2net_small", null);
        assertClientError(wrongPort, 404);
        assertTrue(wrongPort.body().contains("port " + server.managementPort()), wrongPort.body());
        assertEquals("fake", Http.json(manage("GET", "/models", null)).getAsJsonObject().get("models").getAsJsonArray()
                .get(0).getAsJsonObject().get("modelName").getAsString());
    }
}
