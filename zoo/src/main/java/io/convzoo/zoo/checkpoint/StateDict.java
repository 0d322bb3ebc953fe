package io.convzoo.zoo.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The tensors of a checkpoint by name, in file order, e.g. {@code layer1.0.conv1.weight}. Built
 * by {@link StateDicts#read}: non-tensor entries are dropped, DataParallel's {@code module.}
 * prefix is removed.
 */
public final class StateDict {

    private final String source;
    private final String format;
    private final Map<String, TensorData> tensors;

    public StateDict(String source, String format, Map<String, TensorData> tensors) {
        this.source = source;
        this.format = format;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** Where it was read from (the file name), for messages. */
    public String source() {
        return source;
    }

    /** The file format: torch-zip, torch-legacy, safetensors or npz. */
    public String format() {
        return format;
    }

    /** Name -> tensor, in file order. */
    public Map<String, TensorData> tensors() {
        return tensors;
    }

    public TensorData get(String key) {
        return tensors.get(key);
    }

    public Set<String> keys() {
        return tensors.keySet();
    }

    public int size() {
        return tensors.size();
    }

    /**
     * A copy with every key passed through {@code rename}; a key renamed to null is dropped.
     *
     * @throws IllegalArgumentException when two keys are renamed to the same name
     */
    public StateDict renamed(UnaryOperator<String> rename) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String key = rename.apply(e.getKey());
            if (key != null && out.put(key, e.getValue()) != null) {
                throw new IllegalArgumentException("checkpoint " + source + ": two keys renamed to " + key);
            }
        }
        return new StateDict(source, format, out);
    }

    @Override
    public String toString() {
        return "StateDict(" + source + ", " + format + ", " + tensors.size() + " tensors)";
    }
}
