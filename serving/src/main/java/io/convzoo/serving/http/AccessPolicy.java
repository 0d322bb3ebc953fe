package io.convzoo.serving.http;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Who may call what: bearer tokens per API (TorchServe's token authorization: one key for
 * inference, one for management) and the browser origins CORS lets in (none by default).
 */
final class AccessPolicy {

    /** Which token a route needs. */
    enum Scope { PUBLIC, INFERENCE, MANAGEMENT }

    private final byte[] inferenceDigest;
    private final byte[] managementDigest;
    private final List<String> corsOrigins;

    AccessPolicy(String inferenceToken, String managementToken, List<String> corsOrigins) {
        this.inferenceDigest = inferenceToken == null ? null : sha256(inferenceToken);
        this.managementDigest = managementToken == null ? null : sha256(managementToken);
        this.corsOrigins = List.copyOf(corsOrigins);
    }

    /** Refuses (401) a request to a protected API without its token. */
    void authorize(Scope scope, Headers request) {
        byte[] expected = switch (scope) {
            case PUBLIC -> null;
            case INFERENCE -> inferenceDigest;
            case MANAGEMENT -> managementDigest;
        };
        if (expected == null) {
            return;
        }
        String api = scope == Scope.INFERENCE ? "inference" : "management";
        String header = request.getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new HttpError(401, "Unauthorized", "the " + api + " API needs a token: send the header "
                    + "'Authorization: Bearer <" + api + " token>'");
        }
        // Digests of equal length compared in constant time: neither the token nor its length leaks.
        if (!MessageDigest.isEqual(expected, sha256(header.substring(7).strip()))) {
            throw new HttpError(401, "Unauthorized", "the bearer token is not valid for the " + api + " API");
        }
    }

    boolean corsEnabled() {
        return !corsOrigins.isEmpty();
    }

    /** The Access-Control-Allow-Origin value for a request's Origin, or null when it is not allowed. */
    String allowedOrigin(String origin) {
        if (origin == null || corsOrigins.isEmpty()) {
            return null;
        }
        if (corsOrigins.contains("*")) {
            return "*";
        }
        return corsOrigins.contains(origin) ? origin : null;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
