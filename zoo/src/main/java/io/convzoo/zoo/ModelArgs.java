package io.convzoo.zoo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The arguments every architecture builder takes. Built from a DJL {@code Criteria} argument map
 * (values may be strings, numbers or booleans), so {@code optArgument("numClasses", 10)} and
 * {@code optArgument("numClasses", "10")} mean the same.
 *
 * @param numClasses classifier outputs (1000 for ImageNet); 0: no classifier, the pooled features out
 * @param inputChannels channels of the input image (3 RGB, 1 grayscale)
 * @param zeroInitLastBn start the last BatchNorm of every residual branch at gamma = 0
 * @param extra family-specific arguments, e.g. {@code alpha} for OctResNet
 */
public record ModelArgs(int numClasses, int inputChannels, boolean zeroInitLastBn, Map<String, Object> extra) {

    public static final String NUM_CLASSES = "numClasses";
    public static final String INPUT_CHANNELS = "inputChannels";
    public static final String ZERO_INIT_LAST_BN = "zeroInitLastBn";

    public ModelArgs {
        if (numClasses < 0) {
            throw new IllegalArgumentException("numClasses must be >= 0 (0: no classifier), got " + numClasses);
        }
        if (inputChannels < 1) {
            throw new IllegalArgumentException("inputChannels must be >= 1, got " + inputChannels);
        }
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** ImageNet defaults: 1000 classes, 3 channels. */
    public static ModelArgs imagenet() {
        return new ModelArgs(1000, 3, false, Map.of());
    }

    /** Same arguments with another class count. */
    public ModelArgs withNumClasses(int classes) {
        return new ModelArgs(classes, inputChannels, zeroInitLastBn, extra);
    }

    /** Same arguments with another input channel count. */
    public ModelArgs withInputChannels(int channels) {
        return new ModelArgs(numClasses, channels, zeroInitLastBn, extra);
    }

    /** Same arguments plus one family-specific entry. */
    public ModelArgs with(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(extra);
        copy.put(key, value);
        return new ModelArgs(numClasses, inputChannels, zeroInitLastBn, copy);
    }

    /** Parses a Criteria-style argument map; missing entries take the given defaults. */
    public static ModelArgs fromMap(Map<String, ?> arguments, ModelArgs defaults) {
        Map<String, Object> extra = new LinkedHashMap<>(defaults.extra);
        int classes = defaults.numClasses;
        int channels = defaults.inputChannels;
        boolean zeroInit = defaults.zeroInitLastBn;
        for (Map.Entry<String, ?> e : arguments.entrySet()) {
            switch (e.getKey()) {
                case NUM_CLASSES -> classes = toInt(e.getKey(), e.getValue());
                case INPUT_CHANNELS -> channels = toInt(e.getKey(), e.getValue());
                case ZERO_INIT_LAST_BN -> zeroInit = toBoolean(e.getValue());
                default -> extra.put(e.getKey(), e.getValue());
            }
        }
        return new ModelArgs(classes, channels, zeroInit, extra);
    }

    /** A family-specific number, e.g. alpha; accepts strings and numbers. */
    public double getDouble(String key, double fallback) {
        Object v = extra.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("argument " + key + " must be a number, got '" + v + "'", ex);
        }
    }

    /** A family-specific integer; accepts strings and numbers. */
    public int getInt(String key, int fallback) {
        Object v = extra.get(key);
        return v == null ? fallback : toInt(key, v);
    }

    /** A family-specific flag; accepts booleans and "true"/"false". */
    public boolean getBoolean(String key, boolean fallback) {
        Object v = extra.get(key);
        return v == null ? fallback : toBoolean(v);
    }

    private static int toInt(String key, Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d)) {
                throw new IllegalArgumentException("argument " + key + " must be an integer, got " + v);
            }
            return n.intValue();
        }
        try {
            return (int) Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("argument " + key + " must be an integer, got '" + v + "'", ex);
        }
    }

    private static boolean toBoolean(Object v) {
        return v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString().trim());
    }
}
