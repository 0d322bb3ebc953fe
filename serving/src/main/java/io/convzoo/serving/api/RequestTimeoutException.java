package io.convzoo.serving.api;

/** The request was not answered within the configured timeout: HTTP 503 with Retry-After. */
public class RequestTimeoutException extends ServingException {

    public RequestTimeoutException(String model, long timeoutMs) {
        super(503, "model '" + model + "' did not answer within " + timeoutMs + " ms; retry later");
    }
}
