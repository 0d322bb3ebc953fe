package io.convzoo.serving.api;

/**
 * A request the service could not answer. {@link #status()} is the HTTP status it maps to, so the
 * HTTP layer never has to guess (a client's mistake is 4xx, an overloaded or closing service 503).
 */
public class ServingException extends RuntimeException {

    private final int status;

    public ServingException(int status, String message) {
        super(message);
        this.status = status;
    }

    public ServingException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status this failure maps to. */
    public int status() {
        return status;
    }
}
