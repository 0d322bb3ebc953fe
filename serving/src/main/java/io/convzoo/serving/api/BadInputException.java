package io.convzoo.serving.api;

/** The request's input is wrong (not an image, wrong tensor shape, bad parameter): HTTP 400. */
public class BadInputException extends ServingException {

    public BadInputException(String message) {
        super(400, message);
    }

    public BadInputException(String message, Throwable cause) {
        super(400, message, cause);
    }
}
