package io.convzoo.zoo.checkpoint;

import java.util.List;

/**
 * A checkpoint does not fit a block. Lists every problem at once: block parameters the checkpoint
 * lacks, checkpoint tensors the block has no parameter for, and shape mismatches.
 */
public class WeightMappingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;
    private static final int SHOWN = 40;

    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> mismatched;

    public WeightMappingException(String source, String blockName, List<String> missing, List<String> unexpected,
                                  List<String> mismatched) {
        super(message(source, blockName, missing, unexpected, mismatched));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.mismatched = List.copyOf(mismatched);
    }

    /** Block parameter keys (with their shape) absent from the checkpoint. */
    public List<String> getMissing() {
        return missing;
    }

    /** Checkpoint keys (with their shape) the block has no parameter for. */
    public List<String> getUnexpected() {
        return unexpected;
    }

    /** "key: checkpoint (..) vs block (..)" for each shape or type mismatch. */
    public List<String> getMismatched() {
        return mismatched;
    }

    private static String message(String source, String blockName, List<String> missing, List<String> unexpected,
                                  List<String> mismatched) {
        StringBuilder sb = new StringBuilder("checkpoint ").append(source).append(" does not fit ").append(blockName)
                .append(": ").append(missing.size()).append(" missing, ").append(unexpected.size())
                .append(" unexpected, ").append(mismatched.size()).append(" shape mismatches");
        section(sb, "missing in the checkpoint", missing);
        section(sb, "unexpected in the checkpoint", unexpected);
        section(sb, "shape mismatch", mismatched);
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(title).append(':');
        for (int i = 0; i < Math.min(SHOWN, items.size()); i++) {
            sb.append("\n    ").append(items.get(i));
        }
        if (items.size() > SHOWN) {
            sb.append("\n    ... and ").append(items.size() - SHOWN).append(" more");
        }
    }
}
