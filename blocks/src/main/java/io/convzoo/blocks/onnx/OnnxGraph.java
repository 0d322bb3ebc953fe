package io.convzoo.blocks.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph being written: nodes in order, weights as initializers, one float input with a
 * dynamic batch (and spatial size) and one output, serialized as an ONNX {@code ModelProto}. The field
 * numbers are those of onnx.proto (IR version 8, the default opset domain).
 */
public final class OnnxGraph {

    /** The opset the nodes are written for: every op used here has this form since opset 13. */
    public static final int OPSET = 17;
    /** The input's symbolic dimensions (N, C fixed, H, W): a runtime may pin them per session. */
    public static final String BATCH = "batch";
    /** Symbolic input height. */
    public static final String HEIGHT = "height";
    /** Symbolic input width. */
    public static final String WIDTH = "width";
    private static final int IR_VERSION = 8;
    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    /** An attribute of a node: an int, a list of ints, a float or a string. */
    public sealed interface Attribute permits IntAttribute, IntsAttribute, FloatAttribute, StringAttribute {
        String name();
    }

    public record IntAttribute(String name, long value) implements Attribute { }

    public record IntsAttribute(String name, long[] values) implements Attribute { }

    public record FloatAttribute(String name, float value) implements Attribute { }

    public record StringAttribute(String name, String value) implements Attribute { }

    /** A written node: its op, inputs and attributes, and its one output. */
    public record Node(String op, List<String> inputs, String output, List<Attribute> attributes) {
        /** The value of integer attribute {@code name}, or {@code otherwise} where the node has none. */
        public long intAttribute(String name, long otherwise) {
            for (Attribute a : attributes) {
                if (a instanceof IntAttribute i && i.name().equals(name)) {
                    return i.value();
                }
            }
            return otherwise;
        }
    }

    private record Initializer(String name, int dataType, long[] dims, byte[] raw) { }

    private final boolean withData;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, Initializer> initializersByName = new HashMap<>();
    private int values;

    /** A graph; without data, initializers keep only their shapes (a check that the forward can be written). */
    public OnnxGraph(boolean withData) {
        this.withData = withData;
    }

    /** Appends a node of {@code op} on {@code inputs} ("" for an omitted optional input); returns its output. */
    public String node(String op, List<String> inputs, Attribute... attributes) {
        String out = "v" + (++values);
        Node n = new Node(op, List.copyOf(inputs), out, List.of(attributes));
        nodes.add(n);
        producers.put(out, n);
        return out;
    }

    /** The node that wrote {@code value}, or null for the graph's input and initializers. */
    public Node producer(String value) {
        return producers.get(value);
    }

    /** The dimensions of float initializer {@code name}. */
    public long[] dims(String name) {
        return initializersByName.get(name).dims.clone();
    }

    /** The values of float initializer {@code name}, or null in a graph written without data. */
    public float[] values(String name) {
        Initializer i = initializersByName.get(name);
        if (!withData || i.dataType != FLOAT) {
            return null;
        }
        float[] out = new float[i.raw.length / 4];
        ByteBuffer.wrap(i.raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** A float initializer of {@code dims} holding {@code data} (row-major; ignored without data). */
    public String tensor(long[] dims, float[] data) {
        if (!withData) {
            return initializer(FLOAT, dims, new byte[0]);
        }
        ByteBuffer raw = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return initializer(FLOAT, dims, raw.array());
    }

    /** Whether the graph holds its initializers' values (false: shapes only). */
    public boolean hasData() {
        return withData;
    }

    /** A float initializer holding {@code array}'s values (copied now, in row-major order). */
    public String weight(NDArray array) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("ONNX export writes float32 weights, got " + array.getDataType());
        }
        if (!withData) {
            return initializer(FLOAT, array.getShape().getShape(), new byte[0]);
        }
        float[] data = array.toFloatArray();
        ByteBuffer raw = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return initializer(FLOAT, array.getShape().getShape(), raw.array());
    }

    /** A float scalar initializer. */
    public String scalar(float value) {
        ByteBuffer raw = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
        return initializer(FLOAT, new long[0], raw.array());
    }

    /** A float vector initializer. */
    public String floats(float... values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return initializer(FLOAT, new long[] {values.length}, raw.array());
    }

    /** An int64 vector initializer (shapes, indices, slice bounds). */
    public String longs(long... values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return initializer(INT64, new long[] {values.length}, raw.array());
    }

    private String initializer(int dataType, long[] dims, byte[] raw) {
        String name = "c" + (initializers.size() + 1);
        Initializer i = new Initializer(name, dataType, dims.clone(), raw);
        initializers.add(i);
        initializersByName.put(name, i);
        return name;
    }

    /** Number of nodes written so far. */
    public int nodeCount() {
        return nodes.size();
    }

    /**
     * The model: graph input {@code input} (float, (batch, channels, height, width) with height and
     * width dynamic, and batch too unless {@code batch > 0}) and output {@code output}, the value
     * {@code result}.
     */
    public byte[] toModel(String graphName, String input, long batch, long channels, String result) {
        Set<String> needed = needed(result);
        Proto graph = new Proto();
        for (Node n : nodes) {
            if (needed.contains(n.output)) {
                graph.message(1, node(n, n.output));
            }
        }
        graph.message(1, node(new Node("Identity", List.of(result), "output", List.of()), "output"));
        graph.string(2, graphName);
        for (Initializer i : initializers) {
            if (!needed.contains(i.name)) {
                continue;
            }
            Proto t = new Proto();
            for (long d : i.dims) {
                t.varint(1, d);
            }
            t.varint(2, i.dataType);
            t.string(8, i.name);
            t.bytes(9, i.raw);
            graph.message(5, t);
        }
        graph.message(11, valueInfo(input, new Object[] {batch > 0 ? (Object) batch : BATCH, channels, HEIGHT, WIDTH}));
        graph.message(12, valueInfo("output", null));

        Proto opset = new Proto();
        opset.string(1, "");
        opset.varint(2, OPSET);
        Proto model = new Proto();
        model.varint(1, IR_VERSION);
        model.string(2, "convzoo");
        model.message(7, graph);
        model.message(8, opset);
        return model.toByteArray();
    }

    /**
     * The values {@code result} depends on. An interpreter may write a value and then a better form of what
     * reads it (OnnxOps's padded scale chunks); the value left unread is not written into the model.
     */
    private Set<String> needed(String result) {
        Set<String> needed = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(result));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (needed.add(v)) {
                Node n = producers.get(v);
                if (n != null) {
                    n.inputs.stream().filter(in -> !in.isEmpty()).forEach(todo::push);
                }
            }
        }
        return needed;
    }

    private static Proto node(Node n, String output) {
        Proto p = new Proto();
        for (String in : n.inputs) {
            p.string(1, in);
        }
        p.string(2, output);
        p.string(4, n.op);
        for (Attribute a : n.attributes) {
            Proto attr = new Proto();
            attr.string(1, a.name());
            if (a instanceof FloatAttribute f) {
                attr.fixed32(2, Float.floatToIntBits(f.value()));
                attr.varint(20, 1);
            } else if (a instanceof IntAttribute i) {
                attr.varint(3, i.value());
                attr.varint(20, 2);
            } else if (a instanceof StringAttribute s) {
                attr.string(4, s.value());
                attr.varint(20, 3);
            } else if (a instanceof IntsAttribute is) {
                for (long v : is.values()) {
                    attr.varint(8, v);
                }
                attr.varint(20, 7);
            }
            p.message(5, attr);
        }
        return p;
    }

    /** A float tensor's value info; {@code dims} entries are a Long (fixed) or a String (named, dynamic); null: no shape. */
    private static Proto valueInfo(String name, Object[] dims) {
        Proto tensor = new Proto();
        tensor.varint(1, FLOAT);
        if (dims != null) {
            Proto shape = new Proto();
            for (Object d : dims) {
                Proto dim = new Proto();
                if (d instanceof Long fixed) {
                    dim.varint(1, fixed);
                } else {
                    dim.string(2, (String) d);
                }
                shape.message(1, dim);
            }
            tensor.message(2, shape);
        }
        Proto type = new Proto();
        type.message(1, tensor);
        Proto info = new Proto();
        info.string(1, name);
        info.message(2, type);
        return info;
    }

    /**
     * One protobuf message being written: its fields are kept (a weight's bytes by reference) until the whole model
     * is written once, into an array of its exact size, so the weights are copied once instead of once per nesting
     * level (protobuf's own encoder does the encoding).
     */
    private static final class Proto {
        private sealed interface Field permits Varint, Fixed32, Bytes, Message { }

        private record Varint(int number, long value) implements Field { }

        private record Fixed32(int number, int value) implements Field { }

        private record Bytes(int number, byte[] value) implements Field { }

        private record Message(int number, Proto value) implements Field { }

        private final List<Field> fields = new ArrayList<>();
        private int size = -1;

        void varint(int field, long value) {
            fields.add(new Varint(field, value));
        }

        void fixed32(int field, int value) {
            fields.add(new Fixed32(field, value));
        }

        void string(int field, String value) {
            bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        void bytes(int field, byte[] value) {
            fields.add(new Bytes(field, value));
        }

        void message(int field, Proto message) {
            fields.add(new Message(field, message));
        }

        /** Encoded size in bytes, computed once (a message is complete when it is embedded). */
        private int size() {
            if (size < 0) {
                long total = 0;
                for (Field f : fields) {
                    total += fieldSize(f);
                }
                if (total > Integer.MAX_VALUE) {
                    throw new IllegalStateException("ONNX model of " + total + " bytes is over protobuf's 2 GB limit");
                }
                size = (int) total;
            }
            return size;
        }

        private static int fieldSize(Field f) {
            if (f instanceof Varint v) {
                return CodedOutputStream.computeInt64Size(v.number(), v.value());
            } else if (f instanceof Fixed32 v) {
                return CodedOutputStream.computeFixed32Size(v.number(), v.value());
            } else if (f instanceof Bytes v) {
                return CodedOutputStream.computeByteArraySize(v.number(), v.value());
            }
            int inner = ((Message) f).value().size();
            return CodedOutputStream.computeTagSize(((Message) f).number()) + CodedOutputStream.computeUInt32SizeNoTag(inner)
                    + inner;
        }

        private void writeTo(CodedOutputStream out) throws IOException {
            for (Field f : fields) {
                if (f instanceof Varint v) {
                    out.writeInt64(v.number(), v.value());
                } else if (f instanceof Fixed32 v) {
                    out.writeFixed32(v.number(), v.value());
                } else if (f instanceof Bytes v) {
                    out.writeByteArray(v.number(), v.value());
                } else if (f instanceof Message v) {
                    out.writeTag(v.number(), WireFormat.WIRETYPE_LENGTH_DELIMITED);
                    out.writeUInt32NoTag(v.value().size());
                    v.value().writeTo(out);
                }
            }
        }

        byte[] toByteArray() {
            byte[] result = new byte[size()];
            CodedOutputStream out = CodedOutputStream.newInstance(result);
            try {
                writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.checkNoSpaceLeft();
            return result;
        }
    }
}
