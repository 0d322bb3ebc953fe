package io.convzoo.zoo.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The allow-list of pickle globals. A tensor state_dict (plain or inside a training checkpoint)
 * needs only OrderedDict, the tensor/parameter rebuild functions and the storage classes; training
 * checkpoints may also hold argparse.Namespace, numpy scalars and bytes, which become inert
 * records. Every function is reimplemented here in Java; no name is ever looked up dynamically.
 * Any other global is refused.
 */
final class TorchGlobals {

    private TorchGlobals() {}

    /** Classes whose instances are kept as inert records (never used, never executed). */
    private static final Set<String> INERT_CLASSES = Set.of(
            "argparse.Namespace",
            "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
            "numpy.dtype", "numpy.ndarray",
            "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
            "torch.device", "torch.Size", "torch.Tensor", "torch.nn.parameter.Parameter",
            "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64", "torch.int64");

    static Pickle.Global resolve(String source, String module, String name) throws UnsafeCheckpointException {
        String qualified = module + "." + name;
        if ((module.equals("torch") || module.equals("torch.cuda")) && name.endsWith("Storage")) {
            DType dtype = DType.ofStorage(name);
            if (dtype != null) {
                return new Pickle.StorageType(qualified, dtype);
            }
        }
        Pickle.Global global = switch (qualified) {
            case "collections.OrderedDict" -> function(qualified, TorchGlobals::orderedDict);
            case "torch._utils._rebuild_tensor_v2" -> function(qualified, args -> rebuildTensor(qualified, args, 6));
            case "torch._utils._rebuild_tensor" -> function(qualified, args -> rebuildTensor(qualified, args, 4));
            case "torch._utils._rebuild_parameter" -> function(qualified, args -> first(qualified, args, 3));
            case "torch._utils._rebuild_parameter_with_state" -> function(qualified, args -> first(qualified, args, 4));
            case "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type" ->
                    function(qualified, TorchGlobals::rebuildFromType);
            case "_codecs.encode" -> function(qualified, TorchGlobals::encode);
            case "builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset" ->
                    function(qualified, args -> args.isEmpty() ? new LinkedHashSet<>()
                            : new LinkedHashSet<>(asList(qualified, args.get(0))));
            default -> INERT_CLASSES.contains(qualified) ? inertClass(qualified) : null;
        };
        if (global == null) {
            String hint = qualified.equals("torch.storage._load_from_bytes")
                    ? " (a storage pickled outside torch.save, which would need a nested torch.load)" : "";
            throw new UnsafeCheckpointException("checkpoint " + source + ": refused global " + qualified + hint
                    + "; a checkpoint may only use the globals of a tensor state_dict (a whole pickled model must"
                    + " be re-saved as model.state_dict()); nothing in the file was executed", qualified);
        }
        return global;
    }

    /** A pure Java function standing for an allowed Python callable. */
    private interface Body {
        Object apply(List<Object> args) throws CorruptCheckpointException;
    }

    private static Pickle.Global function(String qualified, Body body) {
        return new Pickle.Global() {
            @Override
            public String qualifiedName() {
                return qualified;
            }

            @Override
            public Object call(List<Object> args) throws CorruptCheckpointException {
                return body.apply(args);
            }
        };
    }

    private static Pickle.Global inertClass(String qualified) {
        return function(qualified, args -> new Pickle.Inert(qualified, new ArrayList<>(args)));
    }

    private static Object orderedDict(List<Object> args) throws CorruptCheckpointException {
        Map<Object, Object> dict = Pickle.newDict();
        if (!args.isEmpty() && args.get(0) != null) {
            for (Object pair : asList("collections.OrderedDict", args.get(0))) {
                List<Object> kv = asList("collections.OrderedDict item", pair);
                if (kv.size() != 2) {
                    throw new CorruptCheckpointException("OrderedDict item is not a pair");
                }
                dict.put(Pickle.dictKey(kv.get(0)), kv.get(1));
            }
        }
        return dict;
    }

    private static Object rebuildTensor(String qualified, List<Object> args, int minArgs)
            throws CorruptCheckpointException {
        if (args.size() < minArgs) {
            throw new CorruptCheckpointException(qualified + " with " + args.size() + " arguments, expected "
                    + minArgs);
        }
        if (!(args.get(0) instanceof Pickle.StorageRef storage)) {
            throw new CorruptCheckpointException(qualified + " without a storage (got "
                    + RestrictedUnpickler.typeName(args.get(0)) + ")");
        }
        long offset = asLong(qualified + " offset", args.get(1));
        long[] size = longs(qualified + " size", args.get(2));
        long[] stride = longs(qualified + " stride", args.get(3));
        return new Pickle.TensorRef(storage, offset, size, stride);
    }

    private static Object first(String qualified, List<Object> args, int expected) throws CorruptCheckpointException {
        if (args.size() < 1) {
            throw new CorruptCheckpointException(qualified + " without arguments (expected " + expected + ")");
        }
        return args.get(0);
    }

    /** _rebuild_from_type_v2(func, type, args, state): calls the (already allowed) func on args. */
    private static Object rebuildFromType(List<Object> args) throws CorruptCheckpointException {
        if (args.size() < 3 || !(args.get(0) instanceof Pickle.Global func)
                || !(args.get(2) instanceof Pickle.Tuple inner)) {
            throw new CorruptCheckpointException("malformed torch._tensor._rebuild_from_type_v2 call");
        }
        return func.call(inner.items);
    }

    private static Object encode(List<Object> args) throws CorruptCheckpointException {
        if (args.isEmpty() || !(args.get(0) instanceof String text)) {
            throw new CorruptCheckpointException("_codecs.encode without a string");
        }
        String encoding = args.size() > 1 && args.get(1) instanceof String e ? e : "utf-8";
        return new Pickle.Bytes(text.getBytes(encoding.equalsIgnoreCase("latin1") || encoding.equalsIgnoreCase("latin-1")
                ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
    }

    static long asLong(String what, Object o) throws CorruptCheckpointException {
        if (o instanceof Long l) {
            return l;
        }
        throw new CorruptCheckpointException(what + " is not an int (" + RestrictedUnpickler.typeName(o) + ")");
    }

    static long[] longs(String what, Object o) throws CorruptCheckpointException {
        List<Object> items = asList(what, o);
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asLong(what, items.get(i));
        }
        return out;
    }

    static List<Object> asList(String what, Object o) throws CorruptCheckpointException {
        if (o instanceof Pickle.Tuple t) {
            return t.items;
        }
        if (o instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (o instanceof Pickle.Inert inert && inert.className.equals("torch.Size") && !inert.args.isEmpty()) {
            return asList(what, inert.args.get(0));
        }
        throw new CorruptCheckpointException(what + " is not a tuple (" + RestrictedUnpickler.typeName(o) + ")");
    }
}
