package io.convzoo.zoo.checkpoint;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A pickle interpreter that never executes anything: it builds plain Java values (String, Long,
 * BigInteger, Double, Boolean, null, List, Map, {@link Pickle.Tuple}, {@link Pickle.Bytes}) and
 * resolves GLOBAL only through {@link TorchGlobals}, which knows the handful of names a tensor
 * state_dict uses and refuses every other name with an {@link UnsafeCheckpointException}.
 *
 * <p>Every opcode consumes at least one byte and every length is checked against the bytes left,
 * so the work and memory are bounded by the input size, whatever the input says.
 */
final class RestrictedUnpickler {

    /** Resolves persistent ids (the storages of torch.save). */
    interface PersistentLoader {
        Object load(Object pid) throws IOException;
    }

    private static final Object MARK_SENTINEL = new Object();

    private final String source;
    private final ByteBuffer in;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param source the file name for messages
     * @param in the pickle bytes from its position; the position advances past STOP
     * @param persistent the persistent id loader, or null when none may occur
     */
    RestrictedUnpickler(String source, ByteBuffer in, PersistentLoader persistent) {
        this.source = source;
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.persistent = persistent;
    }

    /** Interprets one pickle up to its STOP and returns the resulting object. */
    Object load() throws IOException {
        try {
            return run();
        } catch (BufferUnderflowException e) {
            throw corrupt("pickle ends in the middle of an opcode (file truncated?)");
        } catch (ClassCastException | IndexOutOfBoundsException e) {
            throw corrupt("malformed pickle (" + e.getMessage() + ")");
        }
    }

    private Object run() throws IOException {
        while (true) {
            if (!in.hasRemaining()) {
                throw corrupt("pickle ends before its STOP opcode (file truncated?)");
            }
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = u8();
                    if (version > 5) {
                        throw corrupt("unsupported pickle protocol " + version);
                    }
                }
                case 0x95 -> skip(u64("frame")); // FRAME: only a length hint
                case '.' -> { // STOP
                    Object result = pop();
                    return result;
                }
                case 'c' -> { // GLOBAL module\nname\n
                    String module = line();
                    String name = line();
                    push(TorchGlobals.resolve(source, module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw corrupt("STACK_GLOBAL without string operands");
                    }
                    push(TorchGlobals.resolve(source, m, n));
                }
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(u32(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(u32())); // LONG_BINGET
                case '(' -> { // MARK
                    marks.push(stack.size());
                }
                case '}' -> push(Pickle.newDict()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Pickle.Tuple(List.of())); // EMPTY_TUPLE
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 't' -> push(new Pickle.Tuple(popMark())); // TUPLE
                case 0x85 -> { // TUPLE1
                    Object a = pop();
                    push(new Pickle.Tuple(listOf(a)));
                }
                case 0x86 -> { // TUPLE2
                    Object b = pop();
                    Object a = pop();
                    push(new Pickle.Tuple(listOf(a, b)));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(new Pickle.Tuple(listOf(a, b, c)));
                }
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> dict = Pickle.newDict();
                    putAll(dict, items);
                    push(dict);
                }
                case 0x91 -> push(new LinkedHashSet<>(popMark())); // FROZENSET
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    dictAt(peek()).put(Pickle.dictKey(key), value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putAll(dictAt(peek()), items);
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    collectionAt(peek()).add(value);
                }
                case 'e', 0x90 -> { // APPENDS, ADDITEMS
                    List<Object> items = popMark();
                    collectionAt(peek()).addAll(items);
                }
                case 'J' -> push((long) in.getInt()); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
                case 0x8a -> push(longOf(bytes(u8()))); // LONG1
                case 0x8b -> push(longOf(bytes(s32("LONG4")))); // LONG4
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT (big-endian)
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 'X' -> push(utf8(bytes(u32()))); // BINUNICODE
                case 0x8d -> push(utf8(bytes(u64("BINUNICODE8")))); // BINUNICODE8
                case 'T' -> push(utf8(bytes(s32("BINSTRING")))); // BINSTRING (Python 2 str)
                case 'U' -> push(utf8(bytes(u8()))); // SHORT_BINSTRING
                case 'B' -> push(new Pickle.Bytes(bytes(u32()))); // BINBYTES
                case 'C' -> push(new Pickle.Bytes(bytes(u8()))); // SHORT_BINBYTES
                case 0x8e -> push(new Pickle.Bytes(bytes(u64("BINBYTES8")))); // BINBYTES8
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(null); // NONE
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(call(callable, args, "REDUCE"));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(call(cls, args, "NEWOBJ"));
                }
                case 0x92 -> { // NEWOBJ_EX
                    pop(); // kwargs
                    Object args = pop();
                    Object cls = pop();
                    push(call(cls, args, "NEWOBJ_EX"));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> { // BINPERSID
                    Object pid = pop();
                    if (persistent == null) {
                        throw corrupt("unexpected persistent id in a header pickle");
                    }
                    push(persistent.load(pid));
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                default -> throw corrupt(String.format("unsupported pickle opcode 0x%02x at byte %d", op, at));
            }
        }
    }

    private Object call(Object callable, Object args, String opcode) throws IOException {
        if (!(callable instanceof Pickle.Global global)) {
            throw corrupt(opcode + " on a non-callable " + typeName(callable));
        }
        if (!(args instanceof Pickle.Tuple tuple)) {
            throw corrupt(opcode + " of " + global.qualifiedName() + " without an argument tuple");
        }
        try {
            return global.call(tuple.items);
        } catch (CorruptCheckpointException e) {
            throw corrupt(e.getMessage());
        }
    }

    private void build(Object target, Object state) throws CorruptCheckpointException {
        if (target instanceof Pickle.Inert inert) {
            inert.state = state;
        } else if (target instanceof Map<?, ?>) {
            // OrderedDict state (e.g. state_dict._metadata): kept out of the mapping, ignored.
        } else if (!(target instanceof Pickle.TensorRef)) {
            throw corrupt("BUILD on " + typeName(target));
        }
    }

    private static List<Object> listOf(Object... items) {
        List<Object> list = new ArrayList<>(items.length);
        for (Object o : items) {
            list.add(o);
        }
        return list;
    }

    private void putAll(Map<Object, Object> dict, List<Object> items) throws CorruptCheckpointException {
        if (items.size() % 2 != 0) {
            throw corrupt("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(Pickle.dictKey(items.get(i)), items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictAt(Object o) throws CorruptCheckpointException {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw corrupt("SETITEM on " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private Collection<Object> collectionAt(Object o) throws CorruptCheckpointException {
        if (o instanceof List<?> || o instanceof java.util.Set<?>) {
            return (Collection<Object>) o;
        }
        throw corrupt("APPEND on " + typeName(o));
    }

    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Pickle.Global g) {
            return g.qualifiedName();
        }
        if (o instanceof Pickle.Inert inert) {
            return inert.className;
        }
        return o.getClass().getSimpleName();
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws CorruptCheckpointException {
        int floor = marks.isEmpty() ? 0 : marks.peek();
        if (stack.size() <= floor) {
            throw corrupt("pickle stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws CorruptCheckpointException {
        if (stack.isEmpty()) {
            throw corrupt("pickle stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() throws CorruptCheckpointException {
        if (marks.isEmpty()) {
            throw corrupt("pickle MARK missing");
        }
        int from = marks.pop();
        List<Object> tail = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private Object memoGet(long key) throws CorruptCheckpointException {
        if (!memo.containsKey(key)) {
            throw corrupt("pickle memo key " + key + " was never stored");
        }
        return memo.get(key);
    }

    private int u8() {
        return in.get() & 0xff;
    }

    private long u32() {
        return in.getInt() & 0xffffffffL;
    }

    private long s32(String what) throws CorruptCheckpointException {
        int n = in.getInt();
        if (n < 0) {
            throw corrupt("negative length " + n + " in " + what);
        }
        return n;
    }

    private long u64(String what) throws CorruptCheckpointException {
        long n = in.getLong();
        if (n < 0) {
            throw corrupt("length " + Long.toUnsignedString(n) + " in " + what + " exceeds the file");
        }
        return n;
    }

    private byte[] bytes(long n) throws CorruptCheckpointException {
        if (n > in.remaining()) {
            throw corrupt("pickle declares " + n + " bytes at byte " + in.position() + " but only "
                    + in.remaining() + " remain (file truncated or corrupt)");
        }
        byte[] b = new byte[(int) n];
        in.get(b);
        return b;
    }

    private void skip(long n) throws CorruptCheckpointException {
        if (n > in.remaining()) {
            throw corrupt("pickle frame of " + n + " bytes but only " + in.remaining() + " remain");
        }
        // A frame only announces how many bytes follow; opcodes inside it are read as usual.
    }

    private String line() throws CorruptCheckpointException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!in.hasRemaining()) {
                throw corrupt("unterminated GLOBAL name");
            }
            byte b = in.get();
            if (b == '\n') {
                return sb.toString();
            }
            if (sb.length() > 256) {
                throw corrupt("GLOBAL name longer than 256 characters");
            }
            sb.append((char) (b & 0xff));
        }
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Little-endian two's complement bytes to Long, or BigInteger when wider than 64 bits. */
    private static Object longOf(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private CorruptCheckpointException corrupt(String what) {
        return new CorruptCheckpointException("checkpoint " + source + ": " + what);
    }
}
