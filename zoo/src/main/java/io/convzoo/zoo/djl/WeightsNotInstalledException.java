package io.convzoo.zoo.djl;

import java.io.IOException;

/**
 * Pretrained weights were asked for but are not installed. An IOException (not DJL's
 * ModelNotFoundException) so that Criteria passes the message through unwrapped.
 */
public class WeightsNotInstalledException extends IOException {

    public WeightsNotInstalledException(String message) {
        super(message);
    }
}
