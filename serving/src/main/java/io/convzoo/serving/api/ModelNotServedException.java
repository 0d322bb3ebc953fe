package io.convzoo.serving.api;

import java.util.Collection;

/** No served model has this name: HTTP 404. */
public class ModelNotServedException extends ServingException {

    public ModelNotServedException(String name, Collection<String> served) {
        super(404, "model '" + name + "' is not served; served models: " + String.join(", ", served));
    }
}
