package io.liquid4j.tensor.io;

import io.liquid4j.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A safetensors file mapped into memory, with its header parsed and fully validated.
 *
 * <p>The whole file is mapped read-only with {@code FileChannel.map(..., Arena)} into one
 * {@link MemorySegment} owned by a shared arena, so tensors larger than 2 GiB work (a
 * MappedByteBuffer cannot address them), any thread may read, and {@link #close()} unmaps
 * deterministically instead of waiting for the GC. {@link #data} returns zero-copy slices of
 * that mapping; they become unusable once the file is closed.
 *
 * <p>Validation follows spec/formats.md and the reference reader: the 8-byte little-endian
 * header length N must be at most 100,000,000 and fit in the file; the header must be UTF-8
 * JSON forming an object without duplicate keys; every tensor entry must be an object with a
 * string {@code dtype} from the safetensors list, a {@code shape} array of non-negative
 * integers and a {@code data_offsets} pair {@code [b, e]} with b ≤ e; {@code e − b} must equal
 * numel × element size (with no long overflow on the way); sorted by offset the tensors must
 * tile the data buffer exactly (from 0, no gaps, no overlap, ending at its last byte); and
 * {@code __metadata__} must map strings to strings. Padding after the JSON is not required.
 * Every violation is a {@link SafetensorsException} naming the file and the fault.
 *
 * <p>Tensor data in the mapping is generally not aligned to its element size (the data buffer
 * starts at 8 + N, and N need not be a multiple of 8 in files from other writers), so readers
 * must use unaligned layouts such as {@code ValueLayout.JAVA_FLOAT_UNALIGNED}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header the reference implementation accepts; anything above is refused. */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    /** The header is at most three levels deep; a low limit rejects nesting bombs early. */
    private static final Json.Options HEADER_JSON = Json.Options.DEFAULT.withMaxDepth(64);

    private static final ValueLayout.OfLong LENGTH_PREFIX =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final String METADATA_KEY = "__metadata__";

    /**
     * One tensor of the header.
     *
     * @param name       the tensor's name (the header key)
     * @param dtypeName  the dtype string as written in the header ("BF16", "F64", ...)
     * @param dtype      the matching {@link DType}, or null when the dtype is a valid
     *                   safetensors type that liquid4j cannot hold (I8, I16, U16, U32, U64,
     *                   F64, F8_E5M2, F8_E4M3); loaders report those as unsupported
     * @param shape      dimensions, row-major; empty for a scalar; zeros allowed
     * @param byteOffset absolute offset of the first byte in the file (not in the data buffer)
     * @param byteLength number of bytes, equal to numel × element size
     */
    public record Entry(String name, String dtypeName, DType dtype, long[] shape, long byteOffset, long byteLength) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtypeName, "dtypeName");
            shape = shape.clone();
        }

        /** A copy of the dimensions (records would otherwise hand out the internal array). */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of dimensions. */
        public int rank() {
            return shape.length;
        }

        /** Number of elements (1 for a scalar, 0 when any dimension is 0). */
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d; // cannot overflow: validated when the header was parsed
            return n;
        }

        // Arrays in records compare by identity; compare shapes by content instead.
        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && dtypeName.equals(e.dtypeName) && dtype == e.dtype
                    && Arrays.equals(shape, e.shape) && byteOffset == e.byteOffset && byteLength == e.byteLength;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtypeName, Arrays.hashCode(shape), byteOffset, byteLength);
        }

        @Override
        public String toString() {
            return "Entry[" + name + " " + dtypeName + " " + Arrays.toString(shape) + " @" + byteOffset + "+" + byteLength + "]";
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final long headerLength;
    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, long headerLength,
                            List<Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.headerLength = headerLength;
        this.entries = Collections.unmodifiableList(entries);
        Map<String, Entry> index = new HashMap<>(entries.size() * 2);
        for (Entry e : entries) index.put(e.name(), e);
        this.byName = index;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @throws SafetensorsException if the file cannot be read or breaks any rule of the format
     */
    public static SafetensorsFile open(Path file) {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw new SafetensorsException(file, "is a directory, not a safetensors file");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) {
                    throw new SafetensorsException(file, "file is " + size + " bytes, too short for the 8-byte header length");
                }
                // The mapping outlives the channel: it belongs to the arena.
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            } catch (IOException e) {
                throw new SafetensorsException(file, "cannot read the file: " + describe(e), e);
            }
            return parse(file, arena, mapping);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path file, Arena arena, MemorySegment mapping) {
        long size = mapping.byteSize();
        long n = mapping.get(LENGTH_PREFIX, 0);
        // N is unsigned: a negative long is a value above 2^63, far beyond the limit.
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_LENGTH + " bytes (corrupt or not a safetensors file)");
        }
        if (n > size - 8) {
            throw new SafetensorsException(file, "header length " + n + " runs past the end of the file ("
                    + size + " bytes leave room for at most " + (size - 8) + ")");
        }
        byte[] headerBytes = new byte[(int) n];
        MemorySegment.copy(mapping, ValueLayout.JAVA_BYTE, 8, headerBytes, 0, (int) n);
        String text = decodeUtf8(file, headerBytes);

        Map<String, Object> header;
        try {
            header = Json.parseObject(text, HEADER_JSON);
        } catch (JsonException e) {
            throw new SafetensorsException(file, "header is not a valid JSON object: " + e.getMessage(), e);
        }

        long dataStart = 8 + n;
        long bufferLength = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>(header.size());
        // Relative [b, e] of each entry, index-aligned with `entries`, for the tiling check.
        List<long[]> ranges = new ArrayList<>(header.size());

        for (Map.Entry<String, Object> member : header.entrySet()) {
            String name = member.getKey();
            Object value = member.getValue();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, value, metadata);
                continue;
            }
            if (!(value instanceof Map<?, ?> fields)) {
                throw new SafetensorsException(file, "tensor " + quote(name)
                        + " must be an object with dtype, shape and data_offsets but is " + describeValue(value));
            }

            Object dtypeValue = fields.get("dtype");
            if (!(dtypeValue instanceof String dtypeName)) {
                throw new SafetensorsException(file, "tensor " + quote(name) + ": dtype "
                        + (dtypeValue == null ? "is missing" : "must be a string but is " + describeValue(dtypeValue)));
            }
            int elementSize = elementSize(dtypeName);
            if (elementSize < 0) {
                throw new SafetensorsException(file, "tensor " + quote(name) + " has unknown dtype " + quote(dtypeName)
                        + " (safetensors dtypes are BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)");
            }

            long[] shape = readNonNegativeLongs(file, name, "shape", fields.get("shape"), -1);
            long[] offsets = readNonNegativeLongs(file, name, "data_offsets", fields.get("data_offsets"), 2);
            long b = offsets[0];
            long e = offsets[1];
            if (b > e) {
                throw new SafetensorsException(file, "tensor " + quote(name) + " data_offsets [" + b + ", " + e + "] end before they begin");
            }

            long numel = 1;
            long nbytes;
            try {
                for (long d : shape) numel = Math.multiplyExact(numel, d);
                nbytes = Math.multiplyExact(numel, elementSize);
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(file, "tensor " + quote(name) + " shape " + Arrays.toString(shape)
                        + " of dtype " + dtypeName + " has more bytes than a long can count");
            }
            if (e - b != nbytes) {
                throw new SafetensorsException(file, "tensor " + quote(name) + " data_offsets [" + b + ", " + e + "] give "
                        + (e - b) + " bytes but dtype " + dtypeName + " shape " + Arrays.toString(shape) + " needs " + nbytes);
            }
            // Checked before adding dataStart so that the absolute offset cannot overflow.
            if (e > bufferLength) {
                throw new SafetensorsException(file, "tensor " + quote(name) + " data_offsets [" + b + ", " + e
                        + "] run past the end of the data buffer (" + bufferLength + " bytes)");
            }
            entries.add(new Entry(name, dtypeName, DType.fromSafetensorsName(dtypeName), shape, dataStart + b, nbytes));
            ranges.add(offsets);
        }

        checkTiling(file, entries, ranges, bufferLength);
        return new SafetensorsFile(file, arena, mapping, n, entries, metadata);
    }

    /**
     * Sorted by (begin, end), the tensors must cover the data buffer exactly: each begins where
     * the previous ended and the last ends at the buffer's end. This rejects gaps (bytes no
     * tensor owns, a sign of a forged or truncated header), overlaps (aliasing tensors) and
     * trailing bytes, the same as the reference reader.
     */
    private static void checkTiling(Path file, List<Entry> entries, List<long[]> ranges, long bufferLength) {
        Integer[] order = new Integer[entries.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> ranges.get(i)[0]).thenComparingLong(i -> ranges.get(i)[1]));
        long end = 0;
        int previous = -1;
        for (int i : order) {
            long b = ranges.get(i)[0];
            long e = ranges.get(i)[1];
            if (b != end) {
                String where = previous < 0
                        ? "the start of the data buffer"
                        : "tensor " + quote(entries.get(previous).name()) + " data_offsets " + Arrays.toString(ranges.get(previous));
                String fault = b > end ? "leave a gap of " + (b - end) + " bytes after " : "overlap ";
                throw new SafetensorsException(file, "tensor " + quote(entries.get(i).name()) + " data_offsets [" + b + ", " + e
                        + "] " + fault + where);
            }
            end = e;
            previous = i;
        }
        if (end != bufferLength) {
            throw new SafetensorsException(file, "tensors cover " + end + " bytes but the data buffer holds " + bufferLength
                    + " (" + (bufferLength - end) + " trailing bytes belong to no tensor)");
        }
    }

    private static void readMetadata(Path file, Object value, Map<String, String> out) {
        // The reference reader treats "__metadata__": null like an absent member; so do we.
        if (value == Json.NULL) {
            return;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsException(file, "__metadata__ must be an object of strings but is " + describeValue(value));
        }
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            if (!(kv.getValue() instanceof String s)) {
                throw new SafetensorsException(file, "__metadata__ value of " + quote((String) kv.getKey())
                        + " must be a string but is " + describeValue(kv.getValue()));
            }
            out.put((String) kv.getKey(), s);
        }
    }

    /**
     * Reads a JSON array of non-negative integers that fit in a long. {@code expectedLength}
     * is -1 for any length.
     */
    private static long[] readNonNegativeLongs(Path file, String tensor, String field, Object value, int expectedLength) {
        String what = "tensor " + quote(tensor) + ": " + field;
        if (value == null) {
            throw new SafetensorsException(file, what + " is missing");
        }
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsException(file, what + " must be an array of non-negative integers but is " + describeValue(value));
        }
        if (expectedLength >= 0 && list.size() != expectedLength) {
            throw new SafetensorsException(file, what + " must have " + expectedLength + " elements but has " + list.size());
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            // Json yields Long only for integers within the long range; 2.0 or 1e30 are Doubles.
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new SafetensorsException(file, what + " must hold non-negative integers but element " + i
                        + " is " + describeValue(list.get(i)));
            }
            out[i] = v;
        }
        return out;
    }

    /** Strict UTF-8 decoding that reports where the first bad byte is. */
    private static String decodeUtf8(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never yields more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            throw new SafetensorsException(file, String.format("header is not valid UTF-8 (bad byte 0x%02X at header byte %d)",
                    bytes[at] & 0xFF, at));
        }
        return out.flip().toString();
    }

    /**
     * Size in bytes of one element of a safetensors dtype, or -1 for a string that is not a
     * safetensors dtype. Covers the whole list of the format, not only the types DType holds.
     */
    static int elementSize(String dtypeName) {
        return switch (dtypeName) {
            case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3" -> 1;
            case "I16", "U16", "F16", "BF16" -> 2;
            case "I32", "U32", "F32" -> 4;
            case "I64", "U64", "F64" -> 8;
            default -> -1;
        };
    }

    static String quote(String name) {
        String s = name.length() <= 200 ? name : name.substring(0, 197) + "...";
        return "'" + s + "'";
    }

    private static String describeValue(Object v) {
        if (v instanceof String s) return "the string " + quote(s);
        if (v instanceof Number || v instanceof Boolean || v == Json.NULL) return String.valueOf(v);
        return "an " + Json.typeName(v);
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ------------------------------------------------------------------------------------------
    // Accessors
    // ------------------------------------------------------------------------------------------

    /** The file as it was opened. */
    public Path path() {
        return path;
    }

    /** The tensors in header order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The tensor with this name, or null if the file has none. */
    public Entry get(String name) {
        return byName.get(name);
    }

    /** The {@code __metadata__} string map (empty if the header has none), in header order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The header length N from the first 8 bytes; the data buffer starts at 8 + N. */
    public long headerLength() {
        return headerLength;
    }

    /** Size of the whole file in bytes. */
    public long fileSize() {
        return mapping.byteSize();
    }

    /**
     * The bytes of a tensor: a read-only, zero-copy slice of the mapping, row-major and
     * little-endian, valid until {@link #close()}.
     *
     * @throws IllegalArgumentException if the entry does not come from this file
     * @throws IllegalStateException    if the file has been closed
     */
    public MemorySegment data(Entry entry) {
        if (closed) {
            throw new IllegalStateException(path + ": already closed");
        }
        if (byName.get(entry.name()) != entry && !entry.equals(byName.get(entry.name()))) {
            throw new IllegalArgumentException(path + ": " + entry + " is not an entry of this file");
        }
        return mapping.asSlice(entry.byteOffset(), entry.byteLength());
    }

    /**
     * The bytes of the named tensor (see {@link #data(Entry)}).
     *
     * @throws SafetensorsException if there is no such tensor
     */
    public MemorySegment data(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new SafetensorsException(path, "no tensor named " + quote(name));
        }
        return data(e);
    }

    /** Unmaps the file. Segments from {@link #data} must not be used afterwards. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + entries.size() + " tensors]";
    }
}
