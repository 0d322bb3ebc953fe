package io.convzoo.serving.http;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One request being answered: its method, path segments, path and query parameters, a bounded body
 * reader and the JSON/bytes writers. Every answer goes through {@link #send}, which records the
 * request's metric just before the response leaves (so a client that reads /metrics after its
 * answer sees its request counted).
 */
final class HttpCall {

    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    static final String JSON = "application/json; charset=utf-8";

    final HttpExchange exchange;
    final String method;
    final String[] segments;
    private final long maxBodyBytes;
    private final Map<String, String> pathParams = new LinkedHashMap<>();
    private Map<String, String> query;
    private java.util.function.IntConsumer beforeSend = status -> { };

    HttpCall(HttpExchange exchange, long maxBodyBytes) {
        this.exchange = exchange;
        this.method = exchange.getRequestMethod();
        this.segments = Arrays.stream(exchange.getRequestURI().getRawPath().split("/")).filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toArray(String[]::new);
        this.maxBodyBytes = maxBodyBytes;
    }

    void onSend(java.util.function.IntConsumer r) {
        this.beforeSend = r;
    }

    void bindPath(String name, String value) {
        pathParams.put(name, value);
    }

    /** A {@code {name}} segment of the matched route. */
    String path(String name) {
        return pathParams.get(name);
    }

    /** Query parameters (the last value of a repeated one). */
    Map<String, String> query() {
        if (query == null) {
            query = new LinkedHashMap<>();
            String raw = exchange.getRequestURI().getRawQuery();
            if (raw != null) {
                for (String pair : raw.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    /** Refuses (400) query parameters a route does not know, naming those it does. */
    void allowQuery(Set<String> known) {
        for (String k : query().keySet()) {
            if (!known.contains(k)) {
                throw new HttpError(400, "BadRequest", "unknown query parameter '" + k + "'; this endpoint takes "
                        + String.join(", ", known.stream().sorted().toList()));
            }
        }
    }

    /** Reads the body, refusing more than the limit (413) whether or not Content-Length was sent. */
    byte[] body() {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw new HttpError(400, "BadRequest", "bad Content-Length '" + length + "'");
            }
            if (declared > maxBodyBytes) {
                throw tooLarge();
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw new HttpError(400, "BadRequest", "could not read the request body: " + e.getMessage());
        }
    }

    /** The body as a JSON record; malformed JSON or wrong types are a 400 naming what was expected. */
    <T> T jsonBody(Class<T> type, String expected) {
        String text = new String(body(), StandardCharsets.UTF_8);
        T value;
        try {
            value = GSON.fromJson(text, type);
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw new HttpError(400, "BadInput", "the body is not " + expected + ": " + e.getMessage());
        }
        if (value == null) {
            throw new HttpError(400, "BadInput", "the body is empty; expected " + expected);
        }
        return value;
    }

    private HttpError tooLarge() {
        return new HttpError(413, "PayloadTooLarge", "request body is larger than the limit of " + maxBodyBytes + " bytes");
    }

    int sendJson(int status, Object body) {
        return send(status, JSON, GSON.toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    int sendError(int status, String type, String message) {
        if (status == 503) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", status);
        body.put("type", type);
        body.put("message", message);
        try {
            return sendJson(status, body);
        } catch (UncheckedIOException e) {
            return status; // the client is gone; still count the answer we tried to give
        }
    }

    int send(int status, String contentType, byte[] bytes) {
        beforeSend.accept(status);
        try {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
            return status;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty answer (CORS preflight). */
    int sendEmpty(int status) {
        beforeSend.accept(status);
        try {
            exchange.sendResponseHeaders(status, -1);
            return status;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
