package io.liquid4j.liquid.train;

import io.liquid4j.liquid.data.Batch;
import java.util.Arrays;

/**
 * What one micro-batch's loss runs on: the token rows (with their padding mask and document ids)
 * and the counted positions with their targets ({@code CausalLM.countedLoss}).
 *
 * <p>{@link #compacted} leaves the padding out: the batch's tokens, row after row, become one row
 * whose documents keep to themselves through their ids (each attends to itself only, RoPE
 * positions restart per document), so every position computes what it computed in its padded
 * row, and the padding (15% of the demo's packed slots) costs nothing. That pays where attention
 * narrows each query's keys to its own document (the CPU kernels: {@code AttentionRanges}); the
 * CUDA kernel bounds keys by the causal range and tests documents key by key, so there one long
 * row would cost attention quadratically in the batch's tokens and {@link #of} keeps the rows.
 *
 * @param segments document id per slot, [rows][length], or null (one document per row)
 * @param mask     1 for a token and 0 for padding, [rows][length], or null (no padding)
 */
record LossRows(long[] ids, int rows, int length, int[][] mask, int[][] segments, long[] positions, long[] targets) {

    /** The batch's rows as they are. */
    static LossRows of(Batch b) {
        return build(b, false);
    }

    /** The batch's tokens without their padding, as one row of documents (see the class comment). */
    static LossRows compacted(Batch b) {
        return build(b, true);
    }

    /**
     * One pass over the slots: each counted one's position (in the compacted row when compact,
     * else in the batch) and target; when compact also the kept tokens and a fresh document id at
     * every change of row or segment.
     */
    private static LossRows build(Batch b, boolean compact) {
        long[] shifted = shiftedTargets(b);
        int[][] mask = b.attentionMask(), segs = b.segments();
        int len = b.length(), slots = shifted.length;
        long[] ids = new long[slots], positions = new long[slots], targets = new long[slots];
        int[] docs = new int[slots];
        int j = 0, c = 0, doc = -1, lastRow = -1, lastSeg = 0;
        for (int r = 0; r < b.rows(); r++) {
            for (int t = 0; t < len; t++) {
                int i = r * len + t;
                if (compact && mask != null && mask[r][t] == 0) continue;
                int seg = segs == null ? 0 : segs[r][t];
                if (r != lastRow || seg != lastSeg) doc++;
                lastRow = r;
                lastSeg = seg;
                docs[j] = doc;
                ids[j] = b.inputIds()[i];
                if (shifted[i] != IGNORE) {
                    positions[c] = j;
                    targets[c++] = shifted[i];
                }
                j++;
            }
        }
        positions = Arrays.copyOf(positions, c);
        targets = Arrays.copyOf(targets, c);
        if (!compact) return new LossRows(b.inputIds(), b.rows(), len, mask, segs, positions, targets);
        return new LossRows(Arrays.copyOf(ids, j), 1, j, null, new int[][] {Arrays.copyOf(docs, j)}, positions, targets);
    }

    /** targets[t] = labels[t + 1] within each row; the last position of a row predicts nothing. */
    static long[] shiftedTargets(Batch b) {
        long[] t = new long[b.rows() * b.length()];
        for (int r = 0; r < b.rows(); r++) {
            int base = r * b.length();
            for (int i = 0; i < b.length(); i++) t[base + i] = i + 1 < b.length() ? b.labels()[base + i + 1] : IGNORE;
        }
        return t;
    }

    private static final long IGNORE = -100;
}
