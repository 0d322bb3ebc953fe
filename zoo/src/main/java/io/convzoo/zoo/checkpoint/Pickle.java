package io.convzoo.zoo.checkpoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Inert values the restricted unpickler produces besides strings, numbers, lists and maps. */
final class Pickle {

    private Pickle() {}

    /** A Python tuple (immutable list; compared by identity, so cyclic data cannot hang hashing). */
    static final class Tuple {
        final List<Object> items;

        Tuple(List<Object> items) {
            this.items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }

        @Override
        public String toString() {
            return "tuple(" + items.size() + ")";
        }
    }

    /** Python bytes. */
    record Bytes(byte[] value) {
        @Override
        public String toString() {
            return "bytes(" + value.length + ")";
        }
    }

    /**
     * A resolved, allowed global. {@code call} implements REDUCE/NEWOBJ for it in pure Java; an
     * inert class just records its arguments and later state.
     */
    interface Global {
        String qualifiedName();

        Object call(List<Object> args) throws CorruptCheckpointException;
    }

    /** A PyTorch storage class such as torch.FloatStorage; appears inside persistent ids. */
    record StorageType(String qualifiedName, DType dtype) implements Global {
        @Override
        public Object call(List<Object> args) throws CorruptCheckpointException {
            throw new CorruptCheckpointException("pickle calls the storage class " + qualifiedName);
        }
    }

    /** An object of an allowed but irrelevant class (argparse.Namespace, numpy scalar, ...). */
    static final class Inert {
        final String className;
        final List<Object> args;
        Object state;

        Inert(String className, List<Object> args) {
            this.className = className;
            this.args = args;
        }

        @Override
        public String toString() {
            return className + " object";
        }
    }

    /** Reads a storage's bytes on first use. */
    interface StorageSource {
        java.nio.ByteBuffer read() throws java.io.IOException;
    }

    /**
     * A storage referenced by a persistent id: its key, dtype and declared element count; its bytes
     * (elements from position 0) are read on first use, so storages of skipped entries (optimizer
     * state) are never read.
     */
    static final class StorageRef {
        final String key;
        final DType dtype;
        final long numel;
        private StorageSource source;
        private java.nio.ByteBuffer bytes;

        StorageRef(String key, DType dtype, long numel, StorageSource source) {
            this.key = key;
            this.dtype = dtype;
            this.numel = numel;
            this.source = source;
        }

        void setSource(StorageSource source) {
            this.source = source;
        }

        boolean hasSource() {
            return source != null;
        }

        java.nio.ByteBuffer bytes() throws java.io.IOException {
            if (bytes == null) {
                if (source == null) {
                    throw new CorruptCheckpointException("storage " + key + " has no data in the file");
                }
                bytes = source.read();
            }
            return bytes.duplicate().order(bytes.order());
        }

        @Override
        public String toString() {
            return "storage " + key;
        }
    }

    /** The arguments of torch._utils._rebuild_tensor(_v2): a view of a storage, checked later. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** Keys of Python dicts that are not plain scalars are wrapped so hashing is by identity. */
    static Object dictKey(Object key) {
        if (key == null || key instanceof String || key instanceof Long || key instanceof Double
                || key instanceof Boolean || key instanceof java.math.BigInteger) {
            return key;
        }
        return new IdentityKey(key);
    }

    /** Identity-hashed wrapper of an unhashable-by-value key. */
    static final class IdentityKey {
        final Object key;

        IdentityKey(Object key) {
            this.key = key;
        }

        @Override
        public String toString() {
            return String.valueOf(key);
        }
    }

    /** A Python dict: insertion-ordered. */
    static Map<Object, Object> newDict() {
        return new java.util.LinkedHashMap<>();
    }
}
