package io.convzoo.zoo.djl;

import java.nio.file.Path;

/** Points the zoo's local repository root at a directory for the scope of a try block, then restores it. */
public final class LocalRoot implements AutoCloseable {

    private final String previous;

    private LocalRoot(Path root) {
        previous = System.setProperty(PretrainedWeights.ROOT_PROPERTY, root.toString());
    }

    /** Sets {@value PretrainedWeights#ROOT_PROPERTY} to {@code root} until closed. */
    public static LocalRoot set(Path root) {
        return new LocalRoot(root);
    }

    @Override
    public void close() {
        if (previous == null) {
            System.clearProperty(PretrainedWeights.ROOT_PROPERTY);
        } else {
            System.setProperty(PretrainedWeights.ROOT_PROPERTY, previous);
        }
    }
}
