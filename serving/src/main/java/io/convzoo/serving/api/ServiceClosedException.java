package io.convzoo.serving.api;

/** The service is shutting down and takes no new requests: HTTP 503. */
public class ServiceClosedException extends ServingException {

    public ServiceClosedException(String model) {
        super(503, "model '" + model + "' is shutting down and takes no new requests");
    }
}
