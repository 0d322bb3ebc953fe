package io.convzoo.serving.api;

/** A model is registered under a name already served: HTTP 409. */
public class ModelAlreadyServedException extends ServingException {

    public ModelAlreadyServedException(String name) {
        super(409, "model '" + name + "' is already served; unregister it first or choose another name");
    }
}
