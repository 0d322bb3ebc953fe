package io.convzoo.serving.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.ServingException;
import io.convzoo.serving.http.AccessPolicy.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
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
 * endpoints DJL Serving / TorchServe and KServe v2 users know. The inference listener serves
 * {@code POST /predictions/{model}} ({@link PredictionHandler}), KServe v2 REST
 * ({@link KServeV2Handler}), {@code GET /models[/{model}]} ({@link ModelsHandler}), {@code GET /ping},
 * {@code GET /metrics} and the demo page ({@link PageHandler}); the management listener, when
 * enabled, registers, scales and unregisters models ({@link ManagementHandler}), on its own port as
 * TorchServe does. Bearer tokens and CORS: {@link AccessPolicy}.
 * Client mistakes are 4xx with a JSON body {@code {"code", "type", "message"}}; an overloaded or
 * closing server answers 503 with {@code Retry-After}. {@link #close()} is graceful.
 */
public final class ConvZooHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConvZooHttpServer.class);

    /** Default request body limit: 10 MB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;
    /** Items one KServe v2 request may carry. */
    public static final int MAX_V2_ITEMS = KServeV2Handler.MAX_ITEMS;

    private final InferenceService service;
    private final HttpServerOptions options;
    private final AccessPolicy access;
    private final ExecutorService executor;
    private HttpServer inference;
    private HttpServer management;
    private volatile boolean closing;

    private ConvZooHttpServer(InferenceService service, HttpServerOptions options, ExecutorService executor) {
        this.service = service;
        this.options = options;
        this.access = new AccessPolicy(options.inferenceToken(), options.managementToken(), options.corsOrigins());
        this.executor = executor;
    }

    /**
     * Starts serving inference on {@code address} (port 0 picks a free port), no tokens, no CORS, no
     * management API.
     *
     * @param maxBodyBytes larger request bodies are refused with 413
     * @param handlerThreads threads answering HTTP requests; they wait on the model's queue, so use
     *     at least workers × batchSize + queueCapacity to let back-pressure (503) rather than the
     *     thread pool decide when the server is full
     */
    public static ConvZooHttpServer start(InferenceService service, InetSocketAddress address, long maxBodyBytes,
                                          int handlerThreads) throws IOException {
        return start(service, HttpServerOptions.of(address, maxBodyBytes, handlerThreads));
    }

    /** Starts the inference listener and, when {@code options} give it an address, the management one. */
    public static ConvZooHttpServer start(InferenceService service, HttpServerOptions options) throws IOException {
        // TCP_NODELAY on accepted sockets: the JDK server writes headers and body separately, and
        // with Nagle + delayed ACK every small answer waited ~40 ms. Read once, when the JDK's
        // server configuration class loads, so it is set before the first server is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        AtomicInteger n = new AtomicInteger();
        int threads = options.handlerThreads();
        // Threads are made only when all are busy (SynchronousQueue) and reused afterwards, so a
        // large limit costs nothing at low concurrency. Past the limit the dispatcher runs the
        // handler itself: slower, but every request is still answered.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(Math.min(16, threads), threads, 30,
                TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "convzoo-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        ConvZooHttpServer s = new ConvZooHttpServer(service, options, executor);
        try {
            if (options.managementAddress() != null) {
                s.management = s.listen(options.managementAddress(), s.managementRoutes());
            }
            s.inference = s.listen(options.address(),
                    s.inferenceRoutes(s.management == null ? null : s.management.getAddress().getPort()));
        } catch (IOException | RuntimeException e) {
            if (s.management != null) {
                s.management.stop(0);
            }
            executor.shutdownNow();
            throw e;
        }
        return s;
    }

    private HttpServer listen(InetSocketAddress address, Router router) throws IOException {
        HttpServer server = HttpServer.create(address, 256);
        server.createContext("/", ex -> handle(ex, router));
        server.setExecutor(executor);
        server.start();
        return server;
    }

    private Router inferenceRoutes(Integer managementPort) {
        PredictionHandler predictions = new PredictionHandler(service);
        KServeV2Handler v2 = new KServeV2Handler(service, () -> closing);
        ModelsHandler models = new ModelsHandler(service);
        PageHandler page = new PageHandler();
        Router.Handler elsewhere = ManagementHandler.elsewhere(managementPort);
        return new Router("try GET /models, POST /predictions/{model}, POST /v2/models/{model}/infer")
                .add("GET", "/", Scope.PUBLIC, page::page)
                .add("GET", "/samples", Scope.PUBLIC, page::samples)
                .add("GET", "/samples/{file}", Scope.PUBLIC, page::sample)
                .add("GET", "/ping", Scope.PUBLIC, this::ping)
                .add("GET", "/v2/health/live", Scope.PUBLIC, v2::live)
                .add("GET", "/v2/health/ready", Scope.PUBLIC, v2::ready)
                .add("GET", "/metrics", Scope.INFERENCE, this::metrics)
                .add("GET", "/models", Scope.INFERENCE, models::list)
                .add("GET", "/models/{model}", Scope.INFERENCE, models::describe)
                .add("POST", "/models", Scope.PUBLIC, elsewhere)
                .add("PUT", "/models/{model}", Scope.PUBLIC, elsewhere)
                .add("DELETE", "/models/{model}", Scope.PUBLIC, elsewhere)
                .add("POST", "/predictions/{model}", Scope.INFERENCE, predictions::predict)
                .add("GET", "/v2/models/{model}", Scope.INFERENCE, v2::metadata)
                .add("POST", "/v2/models/{model}/infer", Scope.INFERENCE, v2::infer);
    }

    private Router managementRoutes() {
        ManagementHandler manage = new ManagementHandler(service, options.allowUntrained());
        ModelsHandler models = new ModelsHandler(service);
        return new Router("the management API: GET/POST /models, GET/PUT/DELETE /models/{model}")
                .add("GET", "/ping", Scope.PUBLIC, this::ping)
                .add("GET", "/models", Scope.MANAGEMENT, models::list)
                .add("POST", "/models", Scope.MANAGEMENT, manage::register)
                .add("GET", "/models/{model}", Scope.MANAGEMENT, models::describe)
                .add("PUT", "/models/{model}", Scope.MANAGEMENT, manage::scale)
                .add("DELETE", "/models/{model}", Scope.MANAGEMENT, manage::unregister);
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

    /** The inference port. */
    public int port() {
        return inference.getAddress().getPort();
    }

    /** The management port, or -1 when the management API is off. */
    public int managementPort() {
        return management == null ? -1 : management.getAddress().getPort();
    }

    public InetSocketAddress address() {
        return inference.getAddress();
    }

    public InferenceService service() {
        return service;
    }

    /**
     * Graceful shutdown: new predictions are refused with 503 at once, every queued and running one
     * is finished and answered, then the listeners and connections close.
     */
    @Override
    public void close() {
        closing = true;
        service.stopAccepting();
        service.close(); // waits for in-flight batches; their handlers then write the answers
        if (management != null) {
            management.stop(0);
        }
        inference.stop(1); // stops the listener, waits (≤ 1 s) for handlers still writing their answers
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the request pipeline

    /** CORS, route, token, handler; every failure becomes its JSON error; the metric is recorded once. */
    private void handle(HttpExchange ex, Router router) {
        long start = System.nanoTime();
        HttpCall call = new HttpCall(ex, options.maxBodyBytes());
        AtomicBoolean recorded = new AtomicBoolean();
        String[] model = {""};
        call.onSend(sent -> { // just before the answer leaves, so a client reading /metrics next sees it
            if (recorded.compareAndSet(false, true)) {
                service.metrics().recordRequest(model[0], sent, System.nanoTime() - start);
            }
        });
        int status;
        try {
            if (cors(call, router)) {
                status = call.sendEmpty(204);
            } else {
                Router.Route route = router.match(call);
                model[0] = servedModel(call.path("model"));
                access.authorize(route.scope(), ex.getRequestHeaders());
                status = route.handler().handle(call);
            }
        } catch (HttpError e) {
            if (e.status == 413) {
                // The oversized body stays unread, so the server drops this connection: say so, or a
                // keep-alive client would send its next request into a closed socket.
                ex.getResponseHeaders().set("Connection", "close");
            }
            if (e.status == 401) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"convzoo\"");
            }
            status = call.sendError(e.status, e.type, e.getMessage());
        } catch (ServingException e) {
            status = call.sendError(e.status(), typeOf(e), e.getMessage());
        } catch (UncheckedIOException e) {
            status = -1; // the client went away while we wrote; nothing to answer
            LOG.debug("client connection lost: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("unexpected error on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
            status = call.sendError(500, "InternalServerError", "internal error: " + e);
        } finally {
            ex.close();
        }
        if (status > 0 && recorded.compareAndSet(false, true)) {
            service.metrics().recordRequest(model[0], status, System.nanoTime() - start);
        }
    }

    /**
     * Adds the CORS headers for an allowed Origin; true for a preflight ({@code OPTIONS}) to answer
     * 204. With CORS off nothing is added and OPTIONS gets the router's 405.
     */
    private boolean cors(HttpCall call, Router router) {
        if (!access.corsEnabled()) {
            return false;
        }
        Headers request = call.exchange.getRequestHeaders();
        String allowed = access.allowedOrigin(request.getFirst("Origin"));
        if (allowed == null) {
            return false;
        }
        Headers h = call.exchange.getResponseHeaders();
        h.set("Access-Control-Allow-Origin", allowed);
        h.set("Vary", "Origin");
        if (call.method.equals("OPTIONS") && request.getFirst("Access-Control-Request-Method") != null
                && !router.methodsFor(call.segments).isEmpty()) {
            h.set("Access-Control-Allow-Methods", String.join(", ", router.methodsFor(call.segments)));
            h.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
            h.set("Access-Control-Max-Age", "600");
            return true;
        }
        return false;
    }

    /** The served model a route names (for metric labels), else "" so unknown names add no series. */
    private String servedModel(String name) {
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

    private int ping(HttpCall call) {
        boolean healthy = !closing && !service.isClosed();
        return call.sendJson(healthy ? 200 : 503, Map.of("status", healthy ? "Healthy" : "Unhealthy"));
    }

    private int metrics(HttpCall call) {
        return call.send(200, "text/plain; version=0.0.4; charset=utf-8",
                service.metrics().toPrometheusText().getBytes(StandardCharsets.UTF_8));
    }

    private static String typeOf(ServingException e) {
        String simple = e.getClass().getSimpleName();
        return simple.endsWith("Exception") ? simple.substring(0, simple.length() - "Exception".length()) : simple;
    }
}
