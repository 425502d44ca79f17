package io.liquid4j.tensor.io;

import io.liquid4j.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes safetensors files.
 *
 * <p>The header lists {@code __metadata__} first (omitted when empty; its keys sorted, so the same
 * metadata gives the same bytes whatever map held it: {@code Map.of}'s order changes from one JVM to
 * the next), then the tensors in the given order with contiguous {@code data_offsets}; it is padded with spaces to a multiple of 8
 * bytes so that the data buffer starts 8-aligned in the file, which lets readers of our own
 * files use aligned access. Tensor bytes are copied verbatim: callers supply them row-major
 * and little-endian.
 *
 * <p>The file appears atomically: everything goes to a hidden temporary file in the target's
 * directory, which is flushed to disk and then renamed over the target. A crash or an error
 * part-way leaves either the old file or the complete new one, never a truncated checkpoint;
 * on errors the temporary file is deleted.
 */
public final class SafetensorsWriter {

    /** Heap segments are copied to disk through a direct staging buffer of this size. */
    private static final int STAGING_BYTES = 1 << 20;

    /** Largest slice of a native segment handed to one ByteBuffer (must stay below 2 GiB). */
    private static final long DIRECT_CHUNK_BYTES = 1L << 30;

    /**
     * One tensor to write.
     *
     * @param name  unique name; "__metadata__" is reserved by the format
     * @param dtype element type
     * @param shape dimensions (empty for a scalar, zeros allowed)
     * @param data  exactly numel × dtype.byteSize() bytes, row-major, little-endian; may be a
     *              heap, native or mapped segment (a slice of a {@link SafetensorsFile} works)
     */
    public record TensorBlob(String name, DType dtype, long[] shape, MemorySegment data) {
        public TensorBlob {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(data, "data");
            shape = shape.clone();
        }

        /** A copy of the dimensions. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        // Arrays in records compare by identity; compare shapes by content instead.
        @Override
        public boolean equals(Object o) {
            return o instanceof TensorBlob t && name.equals(t.name) && dtype == t.dtype
                    && Arrays.equals(shape, t.shape) && data.equals(t.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), data);
        }

        @Override
        public String toString() {
            return "TensorBlob[" + name + " " + dtype + " " + Arrays.toString(shape) + "]";
        }
    }

    private SafetensorsWriter() {}

    /** Writes tensors without metadata. */
    public static void write(Path file, List<TensorBlob> tensors) {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors and string metadata (null or empty: no {@code __metadata__}) to
     * {@code file}, atomically replacing any existing file.
     *
     * @throws SafetensorsException on invalid input (duplicate or reserved names, data of the
     *                              wrong length, negative dimensions) or an I/O error; the
     *                              target is then left as it was
     */
    public static void write(Path file, List<TensorBlob> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        byte[] header = buildHeader(file, tensors, metadata);

        Path tmp = null;
        boolean moved = false;
        try {
            tmp = createTempSibling(file);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(header.length).put(header).flip();
                writeFully(ch, head);
                try (Arena staging = Arena.ofConfined()) {
                    MemorySegment buffer = staging.allocate(STAGING_BYTES);
                    for (TensorBlob t : tensors) {
                        writeSegment(ch, t.data(), buffer);
                    }
                }
                // Data and size must be on disk before the rename makes the file visible.
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(file);
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot write the file: " + SafetensorsFile.describe(e), e);
        } finally {
            if (tmp != null && !moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The original error matters more; a stray hidden .tmp file is harmless.
                }
            }
        }
    }

    /** Validates the tensors and returns the padded UTF-8 header. */
    private static byte[] buildHeader(Path file, List<TensorBlob> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            Map<String, String> meta = new TreeMap<>();
            for (Map.Entry<String, String> kv : metadata.entrySet()) {
                if (kv.getKey() == null || kv.getValue() == null) {
                    throw new SafetensorsException(file, "metadata keys and values must not be null (entry " + kv + ")");
                }
                meta.put(kv.getKey(), kv.getValue());
            }
            header.put("__metadata__", meta);
        }
        long offset = 0;
        for (TensorBlob t : tensors) {
            String name = t.name();
            if (name.equals("__metadata__")) {
                throw new SafetensorsException(file, "the tensor name '__metadata__' is reserved by the format");
            }
            if (header.containsKey(name)) {
                throw new SafetensorsException(file, "duplicate tensor name " + SafetensorsFile.quote(name));
            }
            long[] shape = t.shape();
            long nbytes;
            try {
                long numel = 1;
                for (long d : shape) {
                    if (d < 0) {
                        throw new SafetensorsException(file, "tensor " + SafetensorsFile.quote(name) + " has a negative dimension in shape "
                                + Arrays.toString(shape));
                    }
                    numel = Math.multiplyExact(numel, d);
                }
                nbytes = Math.multiplyExact(numel, (long) t.dtype().byteSize());
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(file, "tensor " + SafetensorsFile.quote(name) + " shape " + Arrays.toString(shape)
                        + " has more bytes than a long can count");
            }
            if (t.data().byteSize() != nbytes) {
                throw new SafetensorsException(file, "tensor " + SafetensorsFile.quote(name) + " has " + t.data().byteSize()
                        + " bytes of data but dtype " + t.dtype().safetensorsName() + " shape " + Arrays.toString(shape)
                        + " needs " + nbytes);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().safetensorsName());
            entry.put("shape", shape);
            entry.put("data_offsets", new long[] {offset, offset + nbytes});
            header.put(name, entry);
            offset += nbytes;
        }

        // Json.write escapes unpaired surrogates, so this UTF-8 encoding is lossless.
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        if (json.length > SafetensorsFile.MAX_HEADER_LENGTH - 7) {
            throw new SafetensorsException(file, "header would be " + json.length + " bytes, above the "
                    + SafetensorsFile.MAX_HEADER_LENGTH + "-byte limit readers accept");
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * A new, empty hidden file next to the target (same directory, so the final rename stays
     * on one file system and can be atomic). Created with default permissions, unlike
     * Files.createTempFile, which would make the finished checkpoint owner-only.
     */
    private static Path createTempSibling(Path file) throws IOException {
        String base = "." + file.getFileName() + ".";
        for (int attempt = 0; ; attempt++) {
            Path tmp = file.resolveSibling(base + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment data, MemorySegment staging) throws IOException {
        long size = data.byteSize();
        if (data.isNative()) {
            // Native and mapped memory can be handed to the channel without a copy, in slices
            // small enough for a ByteBuffer.
            for (long off = 0; off < size; off += DIRECT_CHUNK_BYTES) {
                long n = Math.min(DIRECT_CHUNK_BYTES, size - off);
                writeFully(ch, data.asSlice(off, n).asByteBuffer());
            }
        } else {
            // Heap segments may wrap float[] etc., which cannot be viewed as a ByteBuffer.
            for (long off = 0; off < size; off += staging.byteSize()) {
                long n = Math.min(staging.byteSize(), size - off);
                MemorySegment.copy(data, off, staging, 0, n);
                writeFully(ch, staging.asSlice(0, n).asByteBuffer());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /**
     * Flushes the directory entry so the rename itself survives a power loss. Only some
     * platforms (Linux, macOS) can open a directory as a channel; elsewhere this is skipped,
     * which still leaves either the old or the new file, just not necessarily the new one.
     */
    private static void syncDirectory(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // Best effort only, as explained above.
        }
    }
}
