package io.liquid4j.nn.transformer;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;

/**
 * Positions and additive attention biases for a forward pass of L new tokens after `past`
 * cached ones, from an optional key mask [B][past + L] (1 = token, 0 = padding). Everything is
 * in slot space (the index in the cache), as HF's cache_position: query slot i sees key slot j
 * iff mask[j] = 1, j ≤ i and, on sliding layers, i − W < j.
 */
final class AttentionMasks {
    /** HF adds the dtype's minimum, not −inf: a fully masked (padding) row stays finite. */
    static final float MASKED = -Float.MAX_VALUE;

    private AttentionMasks() {}

    /** Position ids of the new tokens: cumsum(mask) − 1 (clamped at 0 for padding), or past + t without a mask. */
    static int[][] positions(int[][] mask, int batch, int past, int l) {
        int[][] pos = new int[batch][l];
        for (int b = 0; b < batch; b++) {
            if (mask == null) {
                for (int t = 0; t < l; t++) pos[b][t] = past + t;
                continue;
            }
            int count = 0;
            for (int j = 0; j < past; j++) count += mask[b][j] != 0 ? 1 : 0;
            for (int t = 0; t < l; t++) {
                count += mask[b][past + t] != 0 ? 1 : 0;
                pos[b][t] = Math.max(0, count - 1);
            }
        }
        return pos;
    }

    /**
     * The bias [B, 1, 1, L, past + L] for one window size (0 = none), or null when every new
     * query may see every key (one decode step without padding or an active window).
     */
    static Tensor bias(int[][] mask, int batch, int past, int l, int window, Device device) {
        int lk = past + l;
        boolean windowBites = window > 0 && lk > window;
        if (mask == null && l == 1 && !windowBites) return null;
        float[] bias = new float[batch * l * lk];
        int k = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < l; t++) {
                int i = past + t;
                for (int j = 0; j < lk; j++, k++) {
                    boolean visible = j <= i && (window <= 0 || i - window < j) && (mask == null || mask[b][j] != 0);
                    bias[k] = visible ? 0f : MASKED;
                }
            }
        }
        return Tensor.fromArray(bias, batch, 1, 1, l, lk).to(device);
    }

    /** Checks a host mask's shape against the batch and the number of key slots. */
    static void check(int[][] mask, int batch, int keySlots) {
        if (mask == null) return;
        if (mask.length != batch) throw new IllegalArgumentException("attention mask has " + mask.length + " rows for a batch of " + batch);
        for (int[] row : mask) {
            if (row.length != keySlots) {
                throw new IllegalArgumentException("attention mask rows must cover the cached and new tokens (" + keySlots + "), got " + row.length);
            }
        }
    }
}
