package io.liquid4j.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The row permutation that moves wq/wk from llama2.c's (Meta's) RoPE layout to HF's.
 *
 * <p>llama2.c rotates interleaved pairs (2i, 2i+1) of each head; HF's rotate_half rotates
 * (i, i + hs/2) with the same frequency i. Viewing a head's rows as {@code [hs/2, 2]} and
 * transposing to {@code [2, hs/2]} (spec/formats.md) puts old row 2i+j at new row j·hs/2 + i,
 * so the HF model computes the same attention scores on the permuted weights.
 */
final class QkPermutation {
    private QkPermutation() {}

    /** The llama2.c row (within a head) that becomes HF row {@code hfRow} of the same head. */
    static int sourceRow(int hfRow, int headSize) {
        int half = headSize / 2;
        int j = hfRow / half, i = hfRow % half;
        return 2 * i + j;
    }

    /** The HF row (within a head) that llama2.c row {@code metaRow} moves to (the inverse). */
    static int targetRow(int metaRow, int headSize) {
        return (metaRow % 2) * (headSize / 2) + metaRow / 2;
    }

    /**
     * A payload streaming one layer's wq or wk from {@code source} (starting at byte
     * {@code offset}, {@code heads·hs} rows of {@code cols} float32) with its rows permuted per
     * head. Memory: one head's rows.
     */
    static StreamingSafetensorsWriter.Payload permutedRows(Path source, long offset, int heads, int headSize, int cols) {
        return out -> {
            int rowBytes = cols * Float.BYTES;
            ByteBuffer head = ByteBuffer.allocate(headSize * rowBytes);
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
                for (int h = 0; h < heads; h++) {
                    head.clear();
                    long start = offset + (long) h * headSize * rowBytes;
                    while (head.hasRemaining()) {
                        if (in.read(head, start + head.position()) < 0) throw new IOException(source + " ended inside wq/wk");
                    }
                    for (int r = 0; r < headSize; r++) {
                        int src = sourceRow(r, headSize);
                        StreamingSafetensorsWriter.writeFully(out, head.duplicate().position(src * rowBytes).limit((src + 1) * rowBytes));
                    }
                }
            }
        };
    }
}
