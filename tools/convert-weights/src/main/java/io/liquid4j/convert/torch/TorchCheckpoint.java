package io.liquid4j.convert.torch;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A PyTorch zip checkpoint (torch.save since 1.6): &lt;root&gt;/data.pkl read by the restricted
 * {@link Unpickler}, tensors as {@link TensorRef}s whose bytes come from &lt;root&gt;/data/&lt;key&gt;
 * only when {@link #tensor} asks for them. Loading never executes anything from the file.
 */
public final class TorchCheckpoint implements AutoCloseable {
    /** Refuse a data.pkl beyond this size: weights live in the storages, the pickle is metadata. */
    private static final long MAX_PICKLE_BYTES = 256L << 20;

    private final Path path;
    private final ZipFile zip;
    private final String root;
    private final Object top;
    private final Set<String> skippedClasses;
    private String cachedKey;
    private byte[] cachedBytes;

    private TorchCheckpoint(Path path, ZipFile zip, String root, Object top, Set<String> skipped) {
        this.path = path;
        this.zip = zip;
        this.root = root;
        this.top = top;
        this.skippedClasses = skipped;
    }

    /**
     * Opens and unpickles a checkpoint. With lenient false an object of any class outside the
     * allow-list is an error; with lenient true it becomes an {@link OpaqueObject} placeholder.
     */
    public static TorchCheckpoint open(Path file, boolean lenient) {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new TorchFormatException(file, "is not a zip archive; only PyTorch >= 1.6 checkpoints (torch.save's zip format) are supported");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            String root = findRoot(file, zip);
            ZipEntry order = zip.getEntry(root + "byteorder");
            if (order != null) {
                String o = new String(read(zip, order, 16, file), StandardCharsets.US_ASCII).trim();
                if (!o.equals("little")) throw new TorchFormatException(file, "stores its tensors in " + o + "-endian byte order; only little-endian is supported");
            }
            ZipEntry pkl = zip.getEntry(root + "data.pkl");
            byte[] pickle = read(zip, pkl, MAX_PICKLE_BYTES, file);
            TorchGlobals globals = new TorchGlobals(lenient);
            Object top;
            try {
                top = new Unpickler(pickle, globals, pid -> storage(file, zip, root, pid)).load();
            } catch (PickleException e) {
                throw new TorchFormatException(file, e.getMessage());
            }
            return new TorchCheckpoint(file, zip, root, top, Collections.unmodifiableSet(globals.skipped()));
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    public Path path() { return path; }

    /** The unpickled top-level object (usually a Map). */
    public Object root() { return top; }

    /** Classes replaced by placeholders in lenient mode (empty in strict mode). */
    public Set<String> skippedClasses() { return skippedClasses; }

    /**
     * The weights: the top-level dict's "state_dict" (Lightning) or the top-level dict itself
     * when it maps names to tensors. Non-tensor entries are errors naming the key.
     */
    public Map<String, TensorRef> stateDict() {
        if (!(top instanceof Map<?, ?> m)) throw new TorchFormatException(path, "holds " + Unpickler.describe(top) + " at the top level, not a dict of weights");
        Object sd = m.containsKey("state_dict") ? m.get("state_dict") : m;
        if (!(sd instanceof Map<?, ?> weights)) throw new TorchFormatException(path, "'state_dict' is " + Unpickler.describe(sd) + ", not a dict");
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (var e : weights.entrySet()) {
            if (!(e.getKey() instanceof String k)) throw new TorchFormatException(path, "has a weight key that is not a string: " + e.getKey());
            if (!(e.getValue() instanceof TensorRef t)) {
                String where = sd == m ? "the top-level dict" : "'state_dict'";
                throw new TorchFormatException(path, "entry '" + k + "' of " + where + " is " + Unpickler.describe(e.getValue())
                        + ", not a tensor (top-level keys: " + m.keySet() + ")");
            }
            out.put(k, t);
        }
        return out;
    }

    /**
     * The tensor's values as a new contiguous CPU tensor of the storage's dtype (F64 is narrowed to
     * F32, bool read as U8), gathered through its offset and strides. `name` is for errors.
     */
    public Tensor tensor(String name, TensorRef ref) {
        StorageType type = ref.storage().type();
        if (!type.supported()) throw new TorchFormatException(path, "tensor '" + name + "' is stored as " + type.qualifiedName() + ", which liquid4j cannot read (supported: float32, float16, bfloat16, float64, int64, int32, uint8, bool)");
        byte[] storage = storageBytes(ref.storage(), name);
        int es = type.elementSize();
        long n = ref.numel();
        if (n * es > Integer.MAX_VALUE - 16) throw new TorchFormatException(path, "tensor '" + name + "' is larger than 2 GiB");
        byte[] out;
        if (ref.isContiguous()) {
            out = java.util.Arrays.copyOfRange(storage, (int) (ref.offset() * es), (int) ((ref.offset() + n) * es));
        } else {
            out = gather(storage, ref, es);
        }
        if (type.narrows()) out = doublesToFloats(out);
        return Tensor.fromBytes(out, type.dtype(), Device.CPU, ref.shape());
    }

    /** Copies the strided elements into row-major order. */
    private static byte[] gather(byte[] storage, TensorRef ref, int es) {
        int[] shape = ref.shape();
        long[] stride = ref.stride();
        int rank = shape.length;
        long n = ref.numel();
        byte[] out = new byte[(int) (n * es)];
        int[] idx = new int[rank];
        long src = ref.offset();
        for (long i = 0; i < n; i++) {
            System.arraycopy(storage, (int) (src * es), out, (int) (i * es), es);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    src += stride[d];
                    break;
                }
                src -= (long) (shape[d] - 1) * stride[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    private static byte[] doublesToFloats(byte[] d) {
        ByteBuffer in = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(d.length / 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) out.putFloat((float) in.getDouble());
        return out.array();
    }

    /** The storage's bytes; the last one read is cached since views of one storage tend to follow each other. */
    private synchronized byte[] storageBytes(StorageRef s, String name) {
        if (s.key().equals(cachedKey)) return cachedBytes;
        ZipEntry e = zip.getEntry(root + "data/" + s.key());
        if (e == null) throw new TorchFormatException(path, "tensor '" + name + "' needs storage data/" + s.key() + ", which the archive lacks");
        long want = s.numel() * s.type().elementSize();
        byte[] b = read(zip, e, Integer.MAX_VALUE - 16, path);
        if (b.length < want) throw new TorchFormatException(path, "storage data/" + s.key() + " has " + b.length + " bytes, its " + s.numel() + " elements need " + want);
        cachedKey = s.key();
        cachedBytes = b;
        return b;
    }

    private static StorageRef storage(Path file, ZipFile zip, String root, Object pid) {
        if (!(pid instanceof PickleTuple t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw new PickleException("unsupported persistent id " + pid + " (expected ('storage', type, key, location, numel))");
        }
        if (!(t.get(1) instanceof StorageType type)) throw new PickleException("persistent id names " + Unpickler.describe(t.get(1)) + " where a storage class belongs");
        if (!(t.get(2) instanceof String key)) throw new PickleException("storage key must be a string, got " + Unpickler.describe(t.get(2)));
        if (!(t.get(4) instanceof Long numel) || numel < 0) throw new PickleException("storage size must be a non-negative integer, got " + t.get(4));
        if (key.contains("/") || key.contains("..")) throw new PickleException("storage key '" + key + "' is not a plain name");
        return new StorageRef(key, type, numel);
    }

    private static String findRoot(Path file, ZipFile zip) {
        List<String> roots = new ArrayList<>();
        zip.stream().forEach(e -> {
            String n = e.getName();
            if (n.endsWith("data.pkl") && (n.equals("data.pkl") || n.endsWith("/data.pkl")) && n.indexOf('/') == n.lastIndexOf('/')) {
                roots.add(n.substring(0, n.length() - "data.pkl".length()));
            }
        });
        if (roots.isEmpty()) throw new TorchFormatException(file, "is a zip archive without a data.pkl: not a PyTorch checkpoint");
        if (roots.size() > 1) throw new TorchFormatException(file, "holds several data.pkl files " + roots + ": not a single PyTorch checkpoint");
        return roots.getFirst();
    }

    private static byte[] read(ZipFile zip, ZipEntry e, long limit, Path file) {
        if (e.getSize() > limit) throw new TorchFormatException(file, "entry " + e.getName() + " is " + e.getSize() + " bytes, over the limit of " + limit);
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 16));
            return b;
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot read entry " + e.getName() + ": " + ex.getMessage(), ex);
        }
    }

    private static void closeQuietly(ZipFile z) {
        try {
            z.close();
        } catch (IOException ignored) {
            // already failing: the original error is the one to report
        }
    }

    @Override public void close() {
        cachedBytes = null;
        try {
            zip.close();
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }
}
