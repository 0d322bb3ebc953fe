package io.convzoo.zoo.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads checkpoints in pure Java, without Python and without executing anything from the file:
 * <ul>
 *   <li>PyTorch's zip format (torch.save since 1.6): {@code <archive>/data.pkl} plus
 *       {@code <archive>/data/<key>} storage records, any archive folder name, optional
 *       {@code <archive>/byteorder};</li>
 *   <li>PyTorch's legacy format (older torch.save): pickled magic number, protocol version and
 *       sys_info, the pickled object, the pickled storage keys, then each storage as an 8-byte
 *       little-endian element count and its raw little-endian bytes;</li>
 *   <li>safetensors and numpy npz.</li>
 * </ul>
 * The state_dict is the {@code state_dict}, {@code model_state_dict}, {@code model} or
 * {@code net} entry of the top-level dict when one holds tensors, else the top-level dict itself; non-tensor entries are skipped and a DataParallel
 * {@code module.} prefix is stripped. Pickles go through {@link RestrictedUnpickler}; all sizes
 * are checked against the file before anything is allocated from them.
 */
public final class StateDicts {

    /** The magic number that opens a legacy torch.save file. */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    /** Largest data.pkl or safetensors header accepted. */
    static final long MAX_HEADER_BYTES = 1L << 30;
    /** Entries that hold the state_dict in training checkpoints, in order of preference. */
    static final List<String> NESTED_KEYS = List.of("state_dict", "model_state_dict", "model", "net");
    static final String DATA_PARALLEL_PREFIX = "module.";

    private StateDicts() {}

    /** Reads the state_dict of a checkpoint file (format detected from its content). */
    public static StateDict read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "checkpoint file not found");
        }
        String source = file.getFileName().toString();
        long size = Files.size(file);
        byte[] head = new byte[Math.min(512, (int) Math.min(size, 512))];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            if (n < head.length) {
                throw new CorruptCheckpointException("checkpoint " + source + ": cannot read its first bytes");
            }
        }
        if (size < 8) {
            throw new CorruptCheckpointException("checkpoint " + source + ": only " + size + " bytes, not a checkpoint");
        }
        if (head[0] == 'P' && head[1] == 'K') {
            return readZip(file, source);
        }
        // safetensors first: its header length's low byte may be 0x80 (a legacy file has a magic byte at 8, never '{').
        if (size >= 9 && head[8] == '{') {
            return SafetensorsReader.read(file, source);
        }
        if ((head[0] & 0xff) == 0x80) {
            return readLegacy(file, source);
        }
        if (head.length >= 262 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            throw new CorruptCheckpointException("checkpoint " + source + ": a tar-based torch.save file "
                    + "(PyTorch < 0.4) is not supported; load and re-save it with a recent PyTorch");
        }
        throw new CorruptCheckpointException("checkpoint " + source + ": not a PyTorch (zip or legacy), "
                + "safetensors or npz file");
    }

    // ------------------------------------------------------------------ zip format

    private static StateDict readZip(Path file, String source) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CorruptCheckpointException("checkpoint " + source + ": not a readable zip archive "
                    + "(truncated or corrupt: " + e.getMessage() + ")", e);
        }
        try (zip) {
            String prefix = null;
            boolean npy = false;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    if (prefix != null) {
                        throw new CorruptCheckpointException("checkpoint " + source + ": several data.pkl records");
                    }
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                } else if (name.endsWith(".npy")) {
                    npy = true;
                }
            }
            if (prefix == null) {
                if (npy) {
                    return NpzReader.read(zip, file, source);
                }
                throw new CorruptCheckpointException("checkpoint " + source + ": zip archive without "
                        + "<archive>/data.pkl, so not a torch.save file");
            }
            if (zip.getEntry(prefix + "constants.pkl") != null) {
                throw new CorruptCheckpointException("checkpoint " + source + ": a TorchScript archive "
                        + "(torch.jit.save); save the model's state_dict with torch.save instead");
            }
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
            if (byteorder != null) {
                String text = new String(readEntry(zip, byteorder, 16, source), StandardCharsets.US_ASCII).strip();
                if (text.equals("big")) {
                    order = ByteOrder.BIG_ENDIAN;
                } else if (!text.equals("little")) {
                    throw new CorruptCheckpointException("checkpoint " + source + ": byteorder record says '"
                            + text + "'");
                }
            }
            long fileSize = Files.size(file);
            ZipEntry pklEntry = zip.getEntry(prefix + "data.pkl");
            byte[] pkl = readEntry(zip, pklEntry, Math.min(MAX_HEADER_BYTES, fileSize), source);
            Map<String, Pickle.StorageRef> storages = new HashMap<>();
            String folder = prefix;
            ByteOrder dataOrder = order;
            RestrictedUnpickler.PersistentLoader loader = pid -> {
                List<Object> t = storagePid(source, pid, 5);
                Pickle.StorageType type = (Pickle.StorageType) t.get(1);
                String key = String.valueOf(t.get(2));
                long numel = TorchGlobals.asLong("storage numel", t.get(4));
                Pickle.StorageRef known = storages.get(key);
                if (known != null) {
                    return known;
                }
                long bytes = byteCount(source, key, numel, type.dtype());
                ZipEntry record = zip.getEntry(folder + "data/" + key);
                if (record == null) {
                    throw new CorruptCheckpointException("checkpoint " + source + ": storage record data/" + key
                            + " is missing");
                }
                if (record.getSize() >= 0 && record.getSize() < bytes) {
                    throw new CorruptCheckpointException("checkpoint " + source + ": storage data/" + key
                            + " declares " + numel + " " + type.dtype() + " elements (" + bytes
                            + " bytes) but its record holds " + record.getSize() + " bytes");
                }
                Pickle.StorageRef ref = new Pickle.StorageRef(key, type.dtype(), numel, () -> {
                    byte[] data = readEntryExactly(zip, record, bytes, source);
                    return ByteBuffer.wrap(data).order(dataOrder);
                });
                storages.put(key, ref);
                return ref;
            };
            Object root = new RestrictedUnpickler(source, ByteBuffer.wrap(pkl), loader).load();
            return toStateDict(source, "torch-zip", root);
        }
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long limit, String source) throws IOException {
        if (entry.getSize() > limit) {
            throw new CorruptCheckpointException("checkpoint " + source + ": record " + entry.getName()
                    + " declares " + entry.getSize() + " bytes, more than " + limit);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] data = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 16));
            if (entry.getSize() >= 0 && data.length != entry.getSize()) {
                throw new CorruptCheckpointException("checkpoint " + source + ": record " + entry.getName()
                        + " is shorter than declared (truncated)");
            }
            return data;
        } catch (ZipException e) {
            throw new CorruptCheckpointException("checkpoint " + source + ": cannot read record "
                    + entry.getName() + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readEntryExactly(ZipFile zip, ZipEntry entry, long bytes, String source)
            throws IOException {
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new CorruptCheckpointException("checkpoint " + source + ": storage " + entry.getName() + " of "
                    + bytes + " bytes is too large for this reader (2 GiB per storage)");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            // readNBytes grows its buffer as data arrives, so a lying size allocates nothing up front.
            byte[] data = in.readNBytes((int) bytes);
            if (data.length < bytes) {
                throw new CorruptCheckpointException("checkpoint " + source + ": storage " + entry.getName()
                        + " holds " + data.length + " bytes, " + bytes + " expected (truncated)");
            }
            return data;
        } catch (ZipException e) {
            throw new CorruptCheckpointException("checkpoint " + source + ": cannot read record "
                    + entry.getName() + ": " + e.getMessage(), e);
        }
    }

    /** Validates a persistent id ('storage', StorageType, key, location, numel, ...). */
    private static List<Object> storagePid(String source, Object pid, int minItems) throws CorruptCheckpointException {
        if (!(pid instanceof Pickle.Tuple t) || t.size() < minItems) {
            throw new CorruptCheckpointException("checkpoint " + source + ": unexpected persistent id "
                    + RestrictedUnpickler.typeName(pid));
        }
        Object kind = t.get(0);
        String kindName = kind instanceof Pickle.Bytes b ? new String(b.value(), StandardCharsets.US_ASCII)
                : String.valueOf(kind);
        if (!"storage".equals(kindName)) {
            throw new CorruptCheckpointException("checkpoint " + source + ": persistent id of kind '"
                    + kindName + "', only storages are supported");
        }
        if (!(t.get(1) instanceof Pickle.StorageType)) {
            throw new CorruptCheckpointException("checkpoint " + source + ": storage without a storage type");
        }
        return t.items;
    }

    private static long byteCount(String source, String key, long numel, DType dtype) throws CorruptCheckpointException {
        if (numel < 0 || numel > Long.MAX_VALUE / dtype.size()) {
            throw new CorruptCheckpointException("checkpoint " + source + ": storage " + key
                    + " declares an impossible element count " + numel);
        }
        return numel * dtype.size();
    }

    // ------------------------------------------------------------------ legacy format

    private static StateDict readLegacy(Path file, String source) throws IOException {
        ByteBuffer buf;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new CorruptCheckpointException("checkpoint " + source + ": legacy files over 2 GiB "
                        + "are not supported; re-save it with torch.save (zip format)");
            }
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        }
        buf.order(ByteOrder.LITTLE_ENDIAN);
        Object magic = new RestrictedUnpickler(source, buf, null).load();
        if (!(magic instanceof BigInteger m) || !m.equals(LEGACY_MAGIC)) {
            throw new CorruptCheckpointException("checkpoint " + source + ": a pickle without PyTorch's magic "
                    + "number, so not a torch.save file");
        }
        Object protocol = new RestrictedUnpickler(source, buf, null).load();
        if (!Long.valueOf(1001).equals(protocol)) {
            throw new CorruptCheckpointException("checkpoint " + source + ": unsupported legacy protocol "
                    + protocol);
        }
        new RestrictedUnpickler(source, buf, null).load(); // sys_info: the storages are little-endian anyway
        Map<String, Pickle.StorageRef> roots = new LinkedHashMap<>();
        Map<String, Pickle.StorageRef> views = new HashMap<>();
        RestrictedUnpickler.PersistentLoader loader = pid -> {
            List<Object> t = storagePid(source, pid, 6);
            Pickle.StorageType type = (Pickle.StorageType) t.get(1);
            String key = String.valueOf(t.get(2));
            long numel = TorchGlobals.asLong("storage numel", t.get(4));
            byteCount(source, key, numel, type.dtype());
            Pickle.StorageRef root = roots.get(key);
            if (root == null) {
                root = new Pickle.StorageRef(key, type.dtype(), numel, null);
                roots.put(key, root);
            }
            Object viewMeta = t.get(5);
            if (viewMeta == null) {
                return root;
            }
            // An old storage view: (view_key, offset, size) in elements of the root storage.
            List<Object> v = TorchGlobals.asList("storage view", viewMeta);
            if (v.size() < 3) {
                throw new CorruptCheckpointException("checkpoint " + source + ": malformed storage view");
            }
            String viewKey = String.valueOf(v.get(0));
            long offset = TorchGlobals.asLong("view offset", v.get(1));
            long viewSize = TorchGlobals.asLong("view size", v.get(2));
            Pickle.StorageRef parent = root;
            return views.computeIfAbsent(viewKey, k -> new Pickle.StorageRef(k, parent.dtype, viewSize, () -> {
                ByteBuffer whole = parent.bytes();
                long elements = whole.remaining() / parent.dtype.size();
                if (offset < 0 || viewSize < 0 || offset > elements || viewSize > elements - offset) {
                    throw new CorruptCheckpointException("checkpoint " + source + ": storage view " + k
                            + " (offset " + offset + ", size " + viewSize + ") outside its storage of "
                            + elements + " elements");
                }
                int from = (int) (offset * parent.dtype.size());
                return whole.position(from).limit(from + (int) (viewSize * parent.dtype.size())).slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
            }));
        };
        Object root = new RestrictedUnpickler(source, buf, loader).load();
        Object keys = new RestrictedUnpickler(source, buf, null).load();
        for (Object k : TorchGlobals.asList("storage keys", keys)) {
            String key = String.valueOf(k);
            Pickle.StorageRef storage = roots.get(key);
            if (storage == null) {
                throw new CorruptCheckpointException("checkpoint " + source + ": storage " + key
                        + " is listed but never used, so its element type is unknown");
            }
            if (buf.remaining() < 8) {
                throw new CorruptCheckpointException("checkpoint " + source + ": file ends before storage " + key
                        + " (truncated)");
            }
            long count = buf.getLong();
            int size = storage.dtype.size();
            if (count < 0 || count > buf.remaining() / size) {
                throw new CorruptCheckpointException("checkpoint " + source + ": storage " + key + " declares "
                        + count + " " + storage.dtype + " elements but only " + buf.remaining()
                        + " bytes remain (truncated or corrupt)");
            }
            ByteBuffer data = buf.slice(buf.position(), (int) (count * size)).order(ByteOrder.LITTLE_ENDIAN);
            buf.position(buf.position() + (int) (count * size));
            storage.setSource(() -> data);
        }
        return toStateDict(source, "torch-legacy", root);
    }

    // ------------------------------------------------------------------ the state_dict inside

    /** Picks the state_dict out of the unpickled object and validates every tensor view. */
    static StateDict toStateDict(String source, String format, Object root) throws IOException {
        Map<?, ?> dict = selectStateDict(source, root);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof Pickle.TensorRef ref)) {
                continue; // non-tensor entries (epoch, arch, metadata) are not weights
            }
            String key = name.startsWith(DATA_PARALLEL_PREFIX) ? name.substring(DATA_PARALLEL_PREFIX.length()) : name;
            String what = "checkpoint " + source + ": tensor " + name;
            TensorData t = TensorData.view(what, ref.storage().dtype, ref.size(), ref.stride(), ref.offset(),
                    ref.storage().bytes());
            if (tensors.put(key, t) != null) {
                throw new CorruptCheckpointException("checkpoint " + source + ": key " + key
                        + " appears both with and without the 'module.' prefix");
            }
        }
        return new StateDict(source, format, tensors);
    }

    private static Map<?, ?> selectStateDict(String source, Object root) throws CorruptCheckpointException {
        if (!(root instanceof Map<?, ?> top)) {
            throw new CorruptCheckpointException("checkpoint " + source + ": holds a "
                    + RestrictedUnpickler.typeName(root) + ", not a dict of tensors");
        }
        // A training checkpoint's weights first: its top level may hold stray tensors (best_acc1).
        for (String key : NESTED_KEYS) {
            if (top.get(key) instanceof Map<?, ?> nested && hasTensors(nested)) {
                return nested;
            }
        }
        if (hasTensors(top)) {
            return top;
        }
        List<String> keys = new ArrayList<>();
        for (Object k : top.keySet()) {
            keys.add(String.valueOf(k));
            if (keys.size() == 20) {
                keys.add("...");
                break;
            }
        }
        throw new CorruptCheckpointException("checkpoint " + source + ": no tensors at the top level nor under "
                + NESTED_KEYS + "; top-level keys: " + keys);
    }

    private static boolean hasTensors(Map<?, ?> dict) {
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (e.getKey() instanceof String && e.getValue() instanceof Pickle.TensorRef) {
                return true;
            }
        }
        return false;
    }
}
