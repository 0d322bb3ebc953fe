package io.convzoo.zoo.djl;

import ai.djl.translate.TranslateException;

/** Messages of prediction failures for people (the command line, per-row errors of batch inference). */
public final class TranslateErrors {

    private TranslateErrors() {}

    /** The most telling message: DJL wraps block errors (e.g. a wrong shape) in TranslateException. */
    public static String message(Throwable e) {
        Throwable t = e;
        while ((t instanceof TranslateException || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
