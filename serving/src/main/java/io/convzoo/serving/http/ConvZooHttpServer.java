package io.convzoo.serving.http;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.Prediction;
import io.convzoo.serving.api.ServedModel;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.ServingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP front of an {@link InferenceService} on the JDK's {@code com.sun.net.httpserver}, with the
 * endpoints DJL Serving / TorchServe and KServe v2 users know:
 * <ul>
 *   <li>{@code POST /predictions/{model}[?topk=K]}: raw image body or multipart {@code data} →
 *       {@code [{"className", "probability"}, ...]}, most probable first (default top 5);</li>
 *   <li>{@code POST /v2/models/{model}/infer}: KServe v2 FP32 tensors of shape [N, C, H, W] →
 *       {@code {"outputs": [{"name": "logits", "shape": [N, K], ...}]}}; {@code GET /v2/models/{model}};</li>
 *   <li>{@code GET /ping}, {@code GET /models}, {@code GET /models/{model}}, {@code GET /metrics}
 *       (Prometheus text), {@code GET /} (a page to try a model in the browser).</li>
 * </ul>
 * Client mistakes are 4xx with a JSON body {@code {"code", "type", "message"}}; an overloaded or
 * closing server answers 503 with {@code Retry-After}. {@link #close()} is graceful.
 */
public final class ConvZooHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConvZooHttpServer.class);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final String JSON = "application/json; charset=utf-8";

    /** Default request body limit: 10 MB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;
    /** Items one KServe v2 request may carry. */
    public static final int MAX_V2_ITEMS = 256;

    private final InferenceService service;
    private final HttpServer server;
    private final ExecutorService executor;
    private final long maxBodyBytes;
    private final byte[] page;
    private volatile boolean closing;

    private ConvZooHttpServer(InferenceService service, HttpServer server, ExecutorService executor, long maxBodyBytes) {
        this.service = service;
        this.server = server;
        this.executor = executor;
        this.maxBodyBytes = maxBodyBytes;
        this.page = resource("index.html");
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free port).
     *
     * @param maxBodyBytes larger request bodies are refused with 413
     * @param handlerThreads threads answering HTTP requests; they wait on the model's queue, so use
     *     at least workers × batchSize + queueCapacity to let back-pressure (503) rather than the
     *     thread pool decide when the server is full
     */
    public static ConvZooHttpServer start(InferenceService service, InetSocketAddress address, long maxBodyBytes,
                                          int handlerThreads) throws IOException {
        // TCP_NODELAY on accepted sockets: the JDK server writes headers and body separately, and
        // with Nagle + delayed ACK every small answer waited ~40 ms. Read once, when the JDK's
        // server configuration class loads, so it is set before the first server is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(address, 256);
        AtomicInteger n = new AtomicInteger();
        // Threads are made only when all are busy (SynchronousQueue) and reused afterwards, so a
        // large limit costs nothing at low concurrency. Past the limit the dispatcher runs the
        // handler itself: slower, but every request is still answered.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(Math.min(16, handlerThreads), handlerThreads, 30,
                TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "convzoo-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        ConvZooHttpServer s = new ConvZooHttpServer(service, server, executor, maxBodyBytes);
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        return s;
    }

    /** Handler threads that let every queue slot of every model be waited on, plus a margin. */
    public static int handlerThreadsFor(InferenceService service) {
        int slots = 0;
        for (ModelEndpoint e : service.models()) {
            ServingConfig c = e.config();
            slots += c.workers() * c.batchSize() + c.queueCapacity();
        }
        return Math.max(16, Math.min(1024, slots + 16));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public InferenceService service() {
        return service;
    }

    /**
     * Graceful shutdown: new predictions are refused with 503 at once, every queued and running one
     * is finished and answered, then the listener and connections close.
     */
    @Override
    public void close() {
        closing = true;
        service.stopAccepting();
        service.close(); // waits for in-flight batches; their handlers then write the answers
        server.stop(1); // stops the listener, waits (≤ 1 s) for handlers still writing their answers
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange ex) {
        RequestMetric metric = new RequestMetric(service, System.nanoTime());
        // Not an exchange attribute: the JDK server shares those among all exchanges of a context.
        RequestMetric.PENDING.put(ex, metric);
        int status;
        try {
            String path = ex.getRequestURI().getRawPath();
            String[] seg = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty())
                    .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toArray(String[]::new);
            String method = ex.getRequestMethod();
            metric.model = servedModelNamedIn(seg);
            status = route(ex, method, seg);
        } catch (HttpError e) {
            if (e.status == 413) {
                // The oversized body stays unread, so the server drops this connection: say so, or a
                // keep-alive client would send its next request into a closed socket.
                ex.getResponseHeaders().set("Connection", "close");
            }
            status = sendError(ex, e.status, e.type, e.getMessage());
        } catch (ServingException e) {
            status = sendError(ex, e.status(), typeOf(e), e.getMessage());
        } catch (UncheckedIOException e) {
            status = -1; // the client went away while we wrote; nothing to answer
            LOG.debug("client connection lost: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("unexpected error on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
            status = sendError(ex, 500, "InternalServerError", "internal error: " + e);
        } finally {
            RequestMetric.PENDING.remove(ex);
            ex.close();
        }
        if (status > 0) {
            metric.record(status);
        }
    }

    /**
     * One request's metric, recorded once: by {@link #send} just before the response goes out (so a
     * client that reads /metrics after its answer sees its request counted), else after the handler.
     */
    private static final class RequestMetric {
        /** The metric of each exchange being handled, by exchange identity. */
        static final Map<HttpExchange, RequestMetric> PENDING = new ConcurrentHashMap<>();
        private final InferenceService service;
        private final long start;
        private final AtomicBoolean recorded = new AtomicBoolean();
        private volatile String model = "";

        RequestMetric(InferenceService service, long start) {
            this.service = service;
            this.start = start;
        }

        void record(int status) {
            if (recorded.compareAndSet(false, true)) {
                service.metrics().recordRequest(model, status, System.nanoTime() - start);
            }
        }
    }

    /** The served model a path names (for metric labels), else "" so unknown names add no series. */
    private String servedModelNamedIn(String[] seg) {
        String name = null;
        if (seg.length >= 2 && (seg[0].equals("predictions") || seg[0].equals("models"))) {
            name = seg[1];
        } else if (seg.length >= 3 && seg[0].equals("v2") && seg[1].equals("models")) {
            name = seg[2];
        }
        if (name == null) {
            return "";
        }
        for (ModelEndpoint e : service.models()) {
            if (e.info().name().equals(name)) {
                return name;
            }
        }
        return "";
    }

    private int route(HttpExchange ex, String method, String[] seg) throws HttpError {
        if (seg.length == 0) {
            requireMethod(method, "GET");
            return send(ex, 200, "text/html; charset=utf-8", page);
        }
        switch (seg[0]) {
            case "ping":
                if (seg.length == 1) {
                    requireMethod(method, "GET");
                    boolean healthy = !closing && !service.isClosed();
                    return sendJson(ex, healthy ? 200 : 503, Map.of("status", healthy ? "Healthy" : "Unhealthy"));
                }
                break;
            case "metrics":
                if (seg.length == 1) {
                    requireMethod(method, "GET");
                    return send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                            service.metrics().toPrometheusText().getBytes(StandardCharsets.UTF_8));
                }
                break;
            case "models":
                if (seg.length == 1) {
                    requireMethod(method, "GET");
                    List<Object> models = new ArrayList<>();
                    for (ModelEndpoint e : service.models()) {
                        models.add(describe(e, false));
                    }
                    return sendJson(ex, 200, Map.of("models", models));
                }
                if (seg.length == 2) {
                    requireMethod(method, "GET");
                    return sendJson(ex, 200, describe(service.model(seg[1]), true));
                }
                break;
            case "predictions":
                if (seg.length == 2) {
                    requireMethod(method, "POST");
                    return predict(ex, seg[1]);
                }
                break;
            case "v2":
                if (seg.length == 3 && seg[1].equals("health") && (seg[2].equals("ready") || seg[2].equals("live"))) {
                    requireMethod(method, "GET");
                    boolean ok = seg[2].equals("live") || !service.isClosed();
                    return sendJson(ex, ok ? 200 : 503, Map.of(seg[2], ok));
                }
                if (seg.length == 3 && seg[1].equals("models")) {
                    requireMethod(method, "GET");
                    return sendJson(ex, 200, v2Metadata(service.model(seg[2])));
                }
                if (seg.length == 4 && seg[1].equals("models") && seg[3].equals("infer")) {
                    requireMethod(method, "POST");
                    return v2Infer(ex, seg[2]);
                }
                break;
            default:
                break;
        }
        throw new HttpError(404, "NotFound", "no such endpoint: " + method + " " + ex.getRequestURI().getRawPath()
                + " (try GET /models, POST /predictions/{model}, POST /v2/models/{model}/infer)");
    }

    private static void requireMethod(String method, String allowed) {
        if (!allowed.equals(method)) {
            throw new HttpError(405, "MethodNotAllowed", method + " is not allowed here; use " + allowed);
        }
    }

    // ---------------------------------------------------------------- endpoints

    private int predict(HttpExchange ex, String name) {
        ModelEndpoint endpoint = service.model(name); // 404 before reading a body for nothing
        int topK = topK(ex.getRequestURI().getRawQuery(), endpoint.info().numClasses());
        byte[] body = readBody(ex);
        String contentType = ex.getRequestHeaders().getFirst("Content-Type");
        byte[] image = MultipartBody.isMultipart(contentType) ? MultipartBody.imagePart(body, contentType) : body;
        List<Prediction> top = service.classify(name, image, topK);
        return sendJson(ex, 200, top);
    }

    /** {@code topk} query parameter: 1 or more, capped at the number of classes; default 5. */
    private static int topK(String rawQuery, int numClasses) {
        int k = 5;
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                if (key.equals("topk") || key.equals("topK")) {
                    String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    try {
                        k = Integer.parseInt(value.trim());
                    } catch (NumberFormatException e) {
                        throw new BadInputException("topk must be a positive integer, got '" + value + "'");
                    }
                    if (k < 1) {
                        throw new BadInputException("topk must be a positive integer, got " + k);
                    }
                }
            }
        }
        return Math.min(k, numClasses);
    }

    private int v2Infer(HttpExchange ex, String name) {
        ModelEndpoint endpoint = service.model(name);
        ServedModel info = endpoint.info();
        long[] item = info.inputShape();
        String expected = "[N, " + item[0] + ", " + item[1] + ", " + item[2] + "]";
        JsonObject request;
        try {
            JsonElement parsed = JsonParser.parseString(new String(readBody(ex), StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new BadInputException("the body must be a JSON object {\"inputs\": [...]}");
            }
            request = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new BadInputException("the body is not valid JSON: " + e.getMessage());
        }
        JsonObject input = firstInput(request);
        String tensorName = input.has("name") && input.get("name").isJsonPrimitive() ? input.get("name").getAsString() : "input0";
        String datatype = input.has("datatype") && input.get("datatype").isJsonPrimitive()
                ? input.get("datatype").getAsString() : "";
        if (!"FP32".equals(datatype)) {
            throw new BadInputException("input '" + tensorName + "' has datatype '" + datatype
                    + "'; this model takes FP32 of shape " + expected);
        }
        long[] shape = shapeOf(input, tensorName, expected);
        if (shape.length != 4 || shape[1] != item[0] || shape[2] != item[1] || shape[3] != item[2] || shape[0] < 1) {
            throw new BadInputException("input '" + tensorName + "' has shape " + Arrays.toString(shape)
                    + "; model '" + name + "' expects " + expected);
        }
        if (shape[0] > MAX_V2_ITEMS) {
            throw new BadInputException("at most " + MAX_V2_ITEMS + " items per request, got N=" + shape[0]);
        }
        float[] data = flatFloats(input, tensorName);
        long perItem = info.itemElements();
        if (data.length != shape[0] * perItem) {
            throw new BadInputException("input '" + tensorName + "' of shape " + Arrays.toString(shape) + " needs "
                    + shape[0] * perItem + " values, got " + data.length);
        }
        int n = (int) shape[0];
        List<CompletableFuture<float[]>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(endpoint.submit(Arrays.copyOfRange(data, (int) (i * perItem), (int) ((i + 1) * perItem))));
        }
        int k = info.numClasses();
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(InferenceService.await(futures.get(i)), 0, out, i * k, k);
        }
        Map<String, Object> tensor = new LinkedHashMap<>();
        tensor.put("name", "logits");
        tensor.put("shape", List.of(n, k));
        tensor.put("datatype", "FP32");
        tensor.put("data", out);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("model_name", name);
        if (request.has("id") && request.get("id").isJsonPrimitive()) {
            response.put("id", request.get("id").getAsString());
        }
        response.put("outputs", List.of(tensor));
        return sendJson(ex, 200, response);
    }

    private static JsonObject firstInput(JsonObject request) {
        JsonElement inputs = request.get("inputs");
        if (inputs == null || !inputs.isJsonArray() || inputs.getAsJsonArray().isEmpty()
                || !inputs.getAsJsonArray().get(0).isJsonObject()) {
            throw new BadInputException("the body needs \"inputs\": [{\"name\", \"shape\", \"datatype\": \"FP32\", \"data\"}]");
        }
        if (inputs.getAsJsonArray().size() > 1) {
            throw new BadInputException("this model takes one input tensor, got " + inputs.getAsJsonArray().size());
        }
        return inputs.getAsJsonArray().get(0).getAsJsonObject();
    }

    private static long[] shapeOf(JsonObject input, String name, String expected) {
        JsonElement shape = input.get("shape");
        if (shape == null || !shape.isJsonArray()) {
            throw new BadInputException("input '" + name + "' needs \"shape\", e.g. " + expected);
        }
        JsonArray dims = shape.getAsJsonArray();
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = dims.get(i).getAsLong();
            } catch (RuntimeException e) {
                throw new BadInputException("input '" + name + "' shape must be integers, got " + dims);
            }
        }
        return out;
    }

    /** The tensor's data, flat or nested row-major (both are allowed by KServe v2). */
    private static float[] flatFloats(JsonObject input, String name) {
        JsonElement data = input.get("data");
        if (data == null || !data.isJsonArray()) {
            throw new BadInputException("input '" + name + "' needs \"data\": an array of numbers");
        }
        List<JsonElement> flat = new ArrayList<>();
        flatten(data, flat, name, 0);
        float[] out = new float[flat.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = flat.get(i);
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw new BadInputException("input '" + name + "' data must be numbers, found " + v);
            }
            out[i] = v.getAsFloat();
        }
        return out;
    }

    private static void flatten(JsonElement e, List<JsonElement> out, String name, int depth) {
        if (depth > 8) {
            throw new BadInputException("input '" + name + "' data is nested too deeply");
        }
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out, name, depth + 1);
            }
        } else {
            out.add(e);
        }
    }

    private static Map<String, Object> v2Metadata(ModelEndpoint e) {
        ServedModel info = e.info();
        long[] item = info.inputShape();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", info.name());
        m.put("versions", List.of("1"));
        m.put("platform", "djl_pytorch");
        m.put("inputs", List.of(Map.of("name", "input0", "datatype", "FP32", "shape", List.of(-1, item[0], item[1], item[2]))));
        m.put("outputs", List.of(Map.of("name", "logits", "datatype", "FP32", "shape", List.of(-1, info.numClasses()))));
        return m;
    }

    private static Map<String, Object> describe(ModelEndpoint e, boolean detail) {
        ServedModel info = e.info();
        ServingConfig c = e.config();
        long[] item = info.inputShape();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("modelName", info.name());
        m.put("id", info.name());
        m.put("family", info.family());
        m.put("dataset", info.dataset());
        m.put("params", info.params());
        m.put("macs", info.macs());
        m.put("weights", info.weights());
        if (info.untrained()) {
            m.put("warning", "no trained weights installed: this model is randomly initialized and its answers are meaningless");
        }
        m.put("inputShape", List.of(1, item[0], item[1], item[2]));
        m.put("numClasses", info.numClasses());
        if (detail) {
            m.put("classNames", info.classNames());
            m.put("properties", info.properties());
            m.put("workers", c.workers());
            m.put("batchSize", c.batchSize());
            m.put("maxBatchDelayMs", c.maxBatchDelayMs());
            m.put("queueCapacity", c.queueCapacity());
            m.put("timeoutMs", c.timeoutMs());
            m.put("queueDepth", e.queueDepth());
        }
        return m;
    }

    // ---------------------------------------------------------------- I/O

    /** Reads the body, refusing more than the limit (413) whether or not Content-Length was sent. */
    private byte[] readBody(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBodyBytes) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw new HttpError(400, "BadRequest", "bad Content-Length '" + length + "'");
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw new HttpError(400, "BadRequest", "could not read the request body: " + e.getMessage());
        }
    }

    private HttpError tooLarge() {
        return new HttpError(413, "PayloadTooLarge", "request body is larger than the limit of " + maxBodyBytes + " bytes");
    }

    private static String typeOf(ServingException e) {
        String simple = e.getClass().getSimpleName();
        return simple.endsWith("Exception") ? simple.substring(0, simple.length() - "Exception".length()) : simple;
    }

    private int sendError(HttpExchange ex, int status, String type, String message) {
        Headers h = ex.getResponseHeaders();
        if (status == 503) {
            h.set("Retry-After", "1");
        }
        if (status == 405) {
            h.set("Allow", "GET, POST");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", status);
        body.put("type", type);
        body.put("message", message);
        try {
            return sendJson(ex, status, body);
        } catch (UncheckedIOException e) {
            return status; // the client is gone; still count the answer we tried to give
        }
    }

    private static int sendJson(HttpExchange ex, int status, Object body) {
        return send(ex, status, JSON, GSON.toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    private static int send(HttpExchange ex, int status, String contentType, byte[] bytes) {
        RequestMetric metric = RequestMetric.PENDING.get(ex);
        if (metric != null) {
            metric.record(status);
        }
        try {
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
            return status;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConvZooHttpServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
