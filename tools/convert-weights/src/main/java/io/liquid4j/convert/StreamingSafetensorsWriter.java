package io.liquid4j.convert;

import io.liquid4j.tensor.io.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file one tensor at a time, so converting a checkpoint needs memory for
 * one chunk, not for the model. The header is known up front (names, dtypes, shapes); each
 * tensor's bytes come from a {@link Payload} that streams them into the file channel. The file
 * is written under a temporary name and renamed when complete, so a failed conversion never
 * leaves a file that looks valid. (tensor/'s SafetensorsWriter needs every tensor in memory.)
 */
final class StreamingSafetensorsWriter {

    /** Streams exactly {@code byteLength} bytes of one tensor to {@code out}, little-endian. */
    interface Payload {
        void writeTo(FileChannel out) throws IOException;
    }

    /** One tensor of the output: header fields plus where its bytes come from. */
    record PlannedTensor(String name, String dtype, long[] shape, Payload payload) {
        long byteLength() {
            long n = 1;
            for (long d : shape) n *= d;
            return n * bytesPerElement(dtype);
        }
    }

    private StreamingSafetensorsWriter() {}

    static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "U8", "I8", "BOOL", "F8_E5M2", "F8_E4M3" -> 1;
            default -> throw new IllegalArgumentException("unknown safetensors dtype " + dtype);
        };
    }

    /**
     * Writes {@code tensors} in order to {@code file} (atomically), reporting progress on
     * {@code progress} when it is not null.
     */
    static void write(Path file, List<PlannedTensor> tensors, Map<String, String> metadata, PrintStream progress) {
        byte[] header = header(tensors, metadata);
        long total = 0;
        for (PlannedTensor t : tensors) total += t.byteLength();
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(dir);
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(out, prefix);
                writeFully(out, ByteBuffer.wrap(header));
                Progress bar = new Progress(progress, "writing " + file.getFileName(), total);
                long written = 0;
                for (PlannedTensor t : tensors) {
                    long before = out.position();
                    t.payload().writeTo(out);
                    long got = out.position() - before;
                    if (got != t.byteLength()) {
                        throw new IllegalStateException("tensor '" + t.name() + "' wrote " + got + " bytes, expected " + t.byteLength());
                    }
                    written += got;
                    bar.update(written);
                }
                bar.done();
                out.force(false);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ConversionException(file, "cannot write the safetensors file: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the temp file is named after the target and the pid; leaving it is harmless
            }
        }
    }

    /** The JSON header padded with spaces to a multiple of 8, so tensor data starts 8-byte aligned. */
    private static byte[] header(List<PlannedTensor> tensors, Map<String, String> metadata) {
        Map<String, Object> h = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) h.put("__metadata__", metadata);
        long offset = 0;
        for (PlannedTensor t : tensors) {
            long end = offset + t.byteLength();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype());
            e.put("shape", t.shape());
            e.put("data_offsets", new long[] {offset, end});
            if (h.put(t.name(), e) != null) throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            offset = end;
        }
        byte[] json = Json.write(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    /** A payload that copies a byte range of another file unchanged (kernel-side copy). */
    static Payload copyOf(Path source, long offset, long length) {
        return out -> {
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
                long done = 0;
                while (done < length) {
                    long n = in.transferTo(offset + done, length - done, out);
                    if (n <= 0) throw new IOException(source + " ended before byte " + (offset + length));
                    done += n;
                }
            }
        };
    }
}
