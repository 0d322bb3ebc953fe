package io.convzoo.serving.api;

/** The model's queue is full (back-pressure): HTTP 503 with Retry-After. */
public class QueueFullException extends ServingException {

    public QueueFullException(String model, int capacity) {
        super(503, "model '" + model + "' is busy: its queue of " + capacity + " requests is full; retry later");
    }
}
