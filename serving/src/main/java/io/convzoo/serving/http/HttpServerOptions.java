package io.convzoo.serving.http;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * How {@link ConvZooHttpServer} listens and whom it answers.
 *
 * @param address the inference listener (port 0 picks a free one)
 * @param maxBodyBytes larger request bodies are refused with 413
 * @param handlerThreads threads answering HTTP requests (see {@link ConvZooHttpServer#handlerThreadsFor})
 * @param inferenceToken bearer token the inference API requires (predictions, KServe v2, models,
 *     metrics); null: none
 * @param managementToken bearer token the management API requires; null: none
 * @param corsOrigins origins a browser may call from ({@code *} for any); empty: CORS off
 * @param managementAddress the management listener (register, scale, unregister, describe); null:
 *     the management API is off
 * @param allowUntrained whether the management API may register ImageNet models without weights
 */
public record HttpServerOptions(InetSocketAddress address, long maxBodyBytes, int handlerThreads,
                                String inferenceToken, String managementToken, List<String> corsOrigins,
                                InetSocketAddress managementAddress, boolean allowUntrained) {

    public HttpServerOptions {
        corsOrigins = List.copyOf(corsOrigins);
        inferenceToken = blankToNull(inferenceToken);
        managementToken = blankToNull(managementToken);
    }

    /** Inference only, no tokens, no CORS. */
    public static HttpServerOptions of(InetSocketAddress address, long maxBodyBytes, int handlerThreads) {
        return new HttpServerOptions(address, maxBodyBytes, handlerThreads, null, null, List.of(), null, false);
    }

    public HttpServerOptions withTokens(String inference, String management) {
        return new HttpServerOptions(address, maxBodyBytes, handlerThreads, inference, management, corsOrigins,
                managementAddress, allowUntrained);
    }

    public HttpServerOptions withCorsOrigins(List<String> origins) {
        return new HttpServerOptions(address, maxBodyBytes, handlerThreads, inferenceToken, managementToken, origins,
                managementAddress, allowUntrained);
    }

    public HttpServerOptions withManagement(InetSocketAddress management, boolean untrainedAllowed) {
        return new HttpServerOptions(address, maxBodyBytes, handlerThreads, inferenceToken, managementToken,
                corsOrigins, management, untrainedAllowed);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
