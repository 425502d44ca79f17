package io.liquid4j.convert.torch;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The only globals a weights checkpoint may name: containers (OrderedDict, set), the tensor and
 * parameter rebuild functions, storage classes, torch.Size and _codecs.encode (how protocol 2
 * pickles bytes). Anything else is refused with its name, or — in lenient mode — becomes an
 * inert {@link OpaqueObject} (its arguments and state are dropped, nothing is imported or run).
 */
final class TorchGlobals implements Function<String, PickleGlobal> {
    private final boolean lenient;
    private final Set<String> skipped = new LinkedHashSet<>();

    TorchGlobals(boolean lenient) { this.lenient = lenient; }

    /** Class names that lenient mode replaced by placeholders. */
    Set<String> skipped() { return skipped; }

    @Override public PickleGlobal apply(String name) {
        StorageType st = StorageType.forName(name);
        if (st != null) return st;
        return switch (name) {
            case "collections.OrderedDict" -> new Fn(name, args -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (!args.isEmpty() && args.getFirst() instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (p instanceof PickleTuple t && t.size() == 2) m.put(t.get(0), t.get(1));
                        else if (p instanceof List<?> l && l.size() == 2) m.put(l.get(0), l.get(1));
                    }
                }
                return m;
            }, true);
            case "builtins.set", "builtins.frozenset", "__builtin__.set" -> new Fn(name,
                    args -> args.isEmpty() ? new LinkedHashSet<>() : new LinkedHashSet<>(asList(name, args.getFirst())), false);
            case "torch.Size" -> new Fn(name, args -> new PickleTuple(args.isEmpty() ? List.of() : asList(name, args.getFirst())), false);
            case "_codecs.encode" -> new Fn(name, args -> {
                if (args.isEmpty() || !(args.getFirst() instanceof String s)) throw new PickleException("_codecs.encode needs a string");
                return s.getBytes(StandardCharsets.ISO_8859_1);
            }, false);
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> new Fn(name, TorchGlobals::rebuildTensor, false);
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> new Fn(name, args -> {
                if (args.isEmpty() || !(args.getFirst() instanceof TensorRef t)) throw new PickleException(name + " needs a tensor as its first argument");
                return t;
            }, false);
            default -> refuse(name);
        };
    }

    private PickleGlobal refuse(String name) {
        if (!lenient) {
            throw new PickleException("the checkpoint names the Python global '" + name
                    + "', which is outside the allow-list of a weights file (it would have to run code to load)");
        }
        skipped.add(name);
        return new Fn(name, args -> new OpaqueObject(name), true);
    }

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private static Object rebuildTensor(List<Object> args) {
        if (args.size() < 4 || !(args.get(0) instanceof StorageRef st)) {
            throw new PickleException("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...), got " + args.size() + " arguments");
        }
        long offset = asLong(args.get(1), "storage offset");
        List<Object> size = asList("size", args.get(2)), stride = asList("stride", args.get(3));
        int[] shape = new int[size.size()];
        long[] strides = new long[stride.size()];
        for (int i = 0; i < shape.length; i++) {
            long s = asLong(size.get(i), "size");
            if (s < 0 || s > Integer.MAX_VALUE) throw new PickleException("tensor size " + s + " is out of range");
            shape[i] = (int) s;
        }
        for (int i = 0; i < strides.length; i++) {
            strides[i] = asLong(stride.get(i), "stride");
            if (strides[i] < 0) throw new PickleException("negative tensor stride " + strides[i]);
        }
        if (offset < 0) throw new PickleException("negative storage offset " + offset);
        TensorRef t = new TensorRef(st, offset, shape, strides);
        if (t.extent() > st.numel()) {
            throw new PickleException("a tensor " + java.util.Arrays.toString(shape) + " at offset " + offset
                    + " reaches element " + t.extent() + " of storage " + st.key() + ", which holds " + st.numel());
        }
        return t;
    }

    private static long asLong(Object o, String what) {
        if (o instanceof Long l) return l;
        throw new PickleException("tensor " + what + " must be an integer, got " + Unpickler.describe(o));
    }

    private static List<Object> asList(String what, Object o) {
        if (o instanceof PickleTuple t) return t.items();
        if (o instanceof List<?> l) return new java.util.ArrayList<>(l);
        throw new PickleException(what + " must be a tuple, got " + Unpickler.describe(o));
    }

    /** An allowed callable; `buildable` objects accept BUILD state and ignore it (OrderedDict's _metadata, placeholders). */
    private record Fn(String qualifiedName, Function<List<Object>, Object> body, boolean buildable) implements PickleGlobal {
        @Override public Object call(List<Object> args) { return body.apply(args); }

        @Override public Object build(Object instance, Object state) {
            if (!buildable) throw new PickleException("cannot set the state of a " + qualifiedName + " object");
            return instance;
        }
    }
}
