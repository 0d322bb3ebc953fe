package io.convzoo.serving.http;

import static io.convzoo.serving.http.ConvZooHttpServerTest.assertClientError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.serving.api.GatedRunner;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens (one for inference, one for management, as TorchServe's token authorization) and
 * CORS, on a served test double (no model load).
 */
class AccessControlTest {

    static final String INFERENCE = "inf-7f3a9c";
    static final String MANAGEMENT = "mgmt-51be02";
    static final byte[] V2_BODY = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}"
            .getBytes(StandardCharsets.UTF_8);
    static ConvZooHttpServer server;
    static Http inference;
    static Http management;

    @BeforeAll
    static void start() throws Exception {
        GatedRunner runner = new GatedRunner();
        runner.gate.countDown();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 2, 0, 8, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        server = ConvZooHttpServer.start(service, HttpServerOptions.of(new InetSocketAddress("127.0.0.1", 0), 1 << 16, 16)
                .withTokens(INFERENCE, MANAGEMENT).withCorsOrigins(List.of("http://app.example"))
                .withManagement(new InetSocketAddress("127.0.0.1", 0), false));
        inference = new Http(server.port());
        management = new Http(server.managementPort());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void inferenceApiNeedsTheInferenceToken() throws Exception {
        HttpResponse<String> none = inference.send("POST", "/v2/models/fake/infer", V2_BODY);
        assertClientError(none, 401);
        assertTrue(none.body().contains("Authorization: Bearer"), none.body());
        assertEquals("Unauthorized", Http.json(none).getAsJsonObject().get("type").getAsString());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));

        HttpResponse<String> wrong = inference.send("POST", "/v2/models/fake/infer", V2_BODY,
                "Authorization", "Bearer " + INFERENCE + "x");
        assertClientError(wrong, 401);
        assertTrue(wrong.body().contains("not valid for the inference API"), wrong.body());
        assertClientError(inference.send("POST", "/v2/models/fake/infer", V2_BODY, "Authorization", "Bearer " + MANAGEMENT),
                401);
        assertClientError(inference.send("POST", "/v2/models/fake/infer", V2_BODY, "Authorization", "Basic abc"), 401);
        for (String path : List.of("/models", "/models/fake", "/metrics", "/v2/models/fake")) {
            assertClientError(inference.get(path), 401);
            assertEquals(200, inference.send("GET", path, null, "Authorization", "Bearer " + INFERENCE).statusCode(), path);
        }

        HttpResponse<String> ok = inference.send("POST", "/v2/models/fake/infer", V2_BODY,
                "Authorization", "bearer " + INFERENCE);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("[10.0,1.0]", Http.json(ok).getAsJsonObject().get("outputs").getAsJsonArray().get(0)
                .getAsJsonObject().get("data").toString());
    }

    @Test
    void healthAndThePageStayOpen() throws Exception {
        assertEquals(200, inference.get("/ping").statusCode());
        assertEquals(200, inference.get("/v2/health/live").statusCode());
        assertEquals(200, inference.get("/v2/health/ready").statusCode());
        assertEquals(200, inference.get("/").statusCode());
        assertEquals(200, management.get("/ping").statusCode());
    }

    @Test
    void managementApiNeedsTheManagementToken() throws Exception {
        assertClientError(management.get("/models"), 401);
        HttpResponse<String> inferenceKey = management.send("GET", "/models", null, "Authorization", "Bearer " + INFERENCE);
        assertClientError(inferenceKey, 401);
        assertTrue(inferenceKey.body().contains("not valid for the management API"), inferenceKey.body());
        assertClientError(management.send("DELETE", "/models/fake", null), 401);
        assertEquals(1, server.service().models().size(), "a refused DELETE unregisters nothing");
        HttpResponse<String> ok = management.send("GET", "/models/fake", null, "Authorization", "Bearer " + MANAGEMENT);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("fake", Http.json(ok).getAsJsonObject().get("modelName").getAsString());
    }

    @Test
    void corsLetsOnlyTheConfiguredOriginIn() throws Exception {
        HttpResponse<String> preflight = inference.send("OPTIONS", "/predictions/fake", null,
                "Origin", "http://app.example", "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "authorization");
        assertEquals(204, preflight.statusCode());
        assertEquals("http://app.example", preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals("POST", preflight.headers().firstValue("Access-Control-Allow-Methods").orElse(""));
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));

        HttpResponse<String> call = inference.send("POST", "/v2/models/fake/infer", V2_BODY,
                "Origin", "http://app.example", "Authorization", "Bearer " + INFERENCE);
        assertEquals(200, call.statusCode());
        assertEquals("http://app.example", call.headers().firstValue("Access-Control-Allow-Origin").orElse(""));

        HttpResponse<String> other = inference.send("POST", "/v2/models/fake/infer", V2_BODY,
                "Origin", "http://evil.example", "Authorization", "Bearer " + INFERENCE);
        assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent());
        assertClientError(inference.send("OPTIONS", "/predictions/fake", null, "Origin", "http://evil.example",
                "Access-Control-Request-Method", "POST"), 405);
    }

    @Test
    void defaultsAreNoTokenNoCorsNoManagementAndLoopback() throws Exception {
        GatedRunner runner = new GatedRunner();
        runner.gate.countDown();
        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 1, 0, 4, 60_000))
                .add(GatedRunner.model("fake"), () -> runner).build();
        ConvZooHttpServer open = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0), 1 << 16, 8);
        try {
            Http http = new Http(open.port());
            HttpResponse<String> r = http.send("POST", "/v2/models/fake/infer", V2_BODY, "Origin", "http://app.example");
            assertEquals(200, r.statusCode(), r.body());
            assertFalse(r.headers().firstValue("Access-Control-Allow-Origin").isPresent(), "CORS is off by default");
            assertClientError(http.send("OPTIONS", "/predictions/fake", null, "Origin", "http://app.example",
                    "Access-Control-Request-Method", "POST"), 405);
            assertEquals(-1, open.managementPort());
            HttpResponse<String> register = http.send("POST", "/models?url=res2net_small", null);
            assertClientError(register, 404);
            assertEquals("ManagementDisabled", Http.json(register).getAsJsonObject().get("type").getAsString());
            assertTrue(register.body().contains("--enable-management"), register.body());
            assertClientError(http.send("DELETE", "/models/fake", null), 404);
            assertClientError(http.send("PUT", "/models/fake?min_worker=2", null), 404);
            assertEquals(1, service.models().size());
        } finally {
            open.close();
        }
    }
}
