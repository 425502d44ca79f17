package io.liquid4j.nn.transformer;

import io.liquid4j.tensor.AttentionSpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the L new tokens of a forward pass sit after `past` cached ones: their RoPE positions
 * and which key slots each of them attends to, from an optional padding mask [B][past + L]
 * (1 = token, 0 = padding) and optional segment ids [B][past + L] (documents packed in one
 * row). Everything is in slot space (the index in the cache), as HF's cache_position.
 *
 * <p>The query at slot p sees key slot j iff j ≤ p, mask[j] = 1, j is in p's segment and, on
 * sliding layers, p − W &lt; j. A padding mask whose ones form one run per row becomes
 * per-row key ranges (the common left padding); any other mask is folded into the segment ids
 * (each padding slot a segment of its own), so {@link AttentionSpec} expresses it exactly and
 * no mask tensor is built.
 *
 * <p>Positions: the count of earlier-or-equal unmasked slots of the same segment, minus one
 * (clamped at 0 for padding): cumsum(mask) − 1 as in HF, restarting at 0 for each packed
 * document.
 */
final class TokenLayout {
    private final int[][] positions;
    private final AttentionSpec causal;

    private TokenLayout(int[][] positions, AttentionSpec causal) {
        this.positions = positions;
        this.causal = causal;
    }

    /** mask and segments may each be null; when given, each has batch rows of past + l slots. */
    static TokenLayout of(int[][] mask, int[][] segments, int batch, int past, int l) {
        int slots = past + l;
        check("attention mask", mask, batch, slots);
        check("segment ids", segments, batch, slots);
        if (segments != null) {
            for (int[] row : segments) {
                for (int id : row) if (id < 0) throw new IllegalArgumentException("segment ids must be >= 0, got " + id);
            }
        }
        int[][] pos = new int[batch][l];
        for (int b = 0; b < batch; b++) {
            Map<Integer, Integer> seen = new HashMap<>();
            for (int j = 0; j < slots; j++) {
                int seg = segments == null ? 0 : segments[b][j];
                int count = seen.merge(seg, mask == null || mask[b][j] != 0 ? 1 : 0, Integer::sum);
                if (j >= past) pos[b][j - past] = Math.max(0, count - 1);
            }
        }
        AttentionSpec spec = AttentionSpec.causal(1.0).withQueryOffset(past);
        int[][] runs = mask == null ? null : singleRuns(mask);
        if (runs != null) spec = spec.withKeyRanges(runs[0], runs[1]);
        if (segments != null || (mask != null && runs == null)) spec = spec.withSegments(foldedSegments(mask, segments, batch, slots));
        return new TokenLayout(pos, spec);
    }

    /** RoPE positions of the new tokens, [B][L]. */
    int[][] positions() { return positions; }

    /** The spec of a layer with this score scale, softcap (0 = none) and sliding window (0 = global). */
    AttentionSpec spec(double scale, double softcap, int window) {
        return new AttentionSpec(scale, softcap, true, window, causal.queryOffset(), causal.keyStart(), causal.keyEnd(), causal.segments());
    }

    /** Per row [start, end) of the ones when every row's ones are one contiguous run, else null. */
    private static int[][] singleRuns(int[][] mask) {
        int[] start = new int[mask.length], end = new int[mask.length];
        for (int b = 0; b < mask.length; b++) {
            int s = -1, e = -1;
            for (int j = 0; j < mask[b].length; j++) {
                if (mask[b][j] == 0) continue;
                if (s < 0) s = j;
                else if (e != j) return null;   // a hole before this one
                e = j + 1;
            }
            start[b] = Math.max(s, 0);
            end[b] = Math.max(e, 0);
        }
        return new int[][] {start, end};
    }

    /** Segment ids with every padding slot moved into a segment of its own (negative, so distinct from user ids ≥ 0). */
    private static int[][] foldedSegments(int[][] mask, int[][] segments, int batch, int slots) {
        int[][] out = new int[batch][slots];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < slots; j++) {
                boolean pad = mask != null && mask[b][j] == 0;
                out[b][j] = pad ? -1 - j : segments == null ? 0 : segments[b][j];
            }
        }
        return out;
    }

    private static void check(String what, int[][] rows, int batch, int slots) {
        if (rows == null) return;
        if (rows.length != batch) throw new IllegalArgumentException(what + " has " + rows.length + " rows for a batch of " + batch);
        for (int[] row : rows) {
            if (row == null || row.length != slots) {
                throw new IllegalArgumentException(what + " rows must cover the cached and new tokens (" + slots + "), got "
                        + (row == null ? "null" : row.length));
            }
        }
    }
}
