package io.liquid4j.convert;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.SafetensorsFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * "Mean resizing" of an embedding-like matrix [rows, cols]: the stored rows unchanged, then
 * {@code extra} rows equal to the mean of the stored rows. The mean is summed in double over
 * the rows read in bounded chunks (a 7B model's embedding is never held in memory) and stored
 * in the tensor's own dtype (F32, BF16 or F16; rounded to nearest even).
 */
final class MeanRows {
    /** Bytes read or written per step. */
    private static final long CHUNK_BYTES = 16L << 20;

    private MeanRows() {}

    /** The payload of {@code e} (from {@code file}) grown by {@code extra} mean rows. */
    static StreamingSafetensorsWriter.Payload appended(Path file, SafetensorsFile.Entry e, int extra) {
        DType dtype = e.dtype();
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new ConversionException(file, "tensor '" + e.name() + "' is " + e.dtypeName() + "; mean resizing needs F32, BF16 or F16");
        }
        if (e.rank() != 2 || e.shape()[0] == 0 || e.shape()[1] == 0 || e.shape()[1] * dtype.byteSize() > CHUNK_BYTES) {
            throw new ConversionException(file, "tensor '" + e.name() + "' has shape " + java.util.Arrays.toString(e.shape())
                    + "; expected a non-empty [rows, hidden] matrix");
        }
        return out -> {
            StreamingSafetensorsWriter.copyOf(file, e.byteOffset(), e.byteLength()).writeTo(out);
            writeRepeated(out, encode(mean(file, e), dtype), extra);
        };
    }

    /** Column means of the stored rows, in double. */
    static double[] mean(Path file, SafetensorsFile.Entry e) throws IOException {
        DType dtype = e.dtype();
        long rows = e.shape()[0];
        int cols = (int) e.shape()[1];
        int rowBytes = cols * dtype.byteSize();
        int rowsPerChunk = (int) Math.max(1, Math.min(rows, CHUNK_BYTES / rowBytes));
        ByteBuffer buf = ByteBuffer.allocate(rowsPerChunk * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        double[] sum = new double[cols];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long r = 0; r < rows; ) {
                int n = (int) Math.min(rowsPerChunk, rows - r);
                buf.clear().limit(n * rowBytes);
                long pos = e.byteOffset() + r * rowBytes;
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) throw new IOException(file + " ended inside tensor " + e.name());
                }
                buf.flip();
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < cols; c++) {
                        sum[c] += switch (dtype) {
                            case F32 -> buf.getFloat();
                            case BF16 -> DType.bf16ToFloat(buf.getShort());
                            case F16 -> DType.f16ToFloat(buf.getShort());
                            default -> throw new IllegalStateException("not a floating dtype: " + dtype);
                        };
                    }
                }
                r += n;
            }
        }
        for (int c = 0; c < cols; c++) sum[c] /= rows;
        return sum;
    }

    private static ByteBuffer encode(double[] row, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(row.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : row) {
            switch (dtype) {
                case F32 -> b.putFloat((float) v);
                case BF16 -> b.putShort(DType.floatToBf16((float) v));
                case F16 -> b.putShort(DType.floatToF16((float) v));
                default -> throw new IllegalStateException("not a floating dtype: " + dtype);
            }
        }
        return b.flip();
    }

    /** Writes {@code row} {@code count} times, batched into buffers of at most a chunk. */
    private static void writeRepeated(FileChannel out, ByteBuffer row, int count) throws IOException {
        int perBatch = (int) Math.max(1, Math.min(count, CHUNK_BYTES / Math.max(1, row.remaining())));
        ByteBuffer batch = ByteBuffer.allocate(perBatch * row.remaining());
        for (int i = 0; i < perBatch; i++) batch.put(row.duplicate());
        for (int done = 0; done < count; ) {
            int n = Math.min(perBatch, count - done);
            StreamingSafetensorsWriter.writeFully(out, batch.duplicate().flip().limit(n * row.remaining()));
            done += n;
        }
    }
}
