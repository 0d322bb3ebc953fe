package io.convzoo.serving.http;

/** A request the HTTP layer refuses before it reaches a model (bad route, method, body, JSON). */
final class HttpError extends RuntimeException {

    final int status;
    final String type;

    HttpError(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }
}
