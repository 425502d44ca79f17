package io.liquid4j.tensor;

import java.util.Arrays;

/**
 * Which keys each query of {@link F#attention} sees, and how scores are formed: everything a
 * mask tensor used to say, as a few numbers per row, so no backend ever materialises a
 * [Lq, Lk] mask or a T×T score matrix it does not need.
 *
 * <p>Queries occupy the key slots [queryOffset, queryOffset + Lq) (a KV cache holds the earlier
 * slots); query i sits at slot p = queryOffset + i. In batch row b, key slot j is visible to
 * the query at slot p iff all of
 * <ul>
 *   <li>{@code keyStart[b] ≤ j < keyEnd[b]} (left/right padding; no ranges = every slot),</li>
 *   <li>{@code j ≤ p} when causal,</li>
 *   <li>{@code p − window < j} when window &gt; 0 (sliding-window layers),</li>
 *   <li>{@code segments[b][j] == segments[b][p]} when segment ids are given (documents packed in
 *       one row see only their own document).</li>
 * </ul>
 * Scores are {@code s = scale·q·kᵀ}, then {@code softcap·tanh(s/softcap)} when softcap &gt; 0.
 * Grouped-query attention is implied by the shapes: query head h reads KV head h / (Hq / Hkv).
 * A query that sees no key at all (a padding slot) outputs zeros and has lse −∞.
 *
 * <p>Immutable; the {@code with…} methods return modified copies. Arrays are defensively copied.
 *
 * @param queryOffset the slot of the first query, or {@link #QUERIES_LAST} for Lk − Lq (the
 *                    queries are the newest slots: prefill without cache, or decoding after it)
 */
public record AttentionSpec(double scale, double softcap, boolean causal, int window, int queryOffset,
                            int[] keyStart, int[] keyEnd, int[][] segments) {

    /** queryOffset meaning "the queries are the last Lq of the Lk key slots". */
    public static final int QUERIES_LAST = -1;

    public AttentionSpec {
        if (!(scale > 0) || Double.isInfinite(scale)) throw new IllegalArgumentException("attention scale must be a positive finite number, got " + scale);
        if (!(softcap >= 0) || Double.isInfinite(softcap)) throw new IllegalArgumentException("attention softcap must be >= 0 and finite (0 = none), got " + softcap);
        if (window < 0) throw new IllegalArgumentException("attention window must be >= 0 (0 = none), got " + window);
        if (queryOffset < QUERIES_LAST) throw new IllegalArgumentException("attention queryOffset must be >= 0 (or QUERIES_LAST), got " + queryOffset);
        if ((keyStart == null) != (keyEnd == null)) throw new IllegalArgumentException("attention key ranges need both keyStart and keyEnd");
        if (keyStart != null) {
            if (keyStart.length != keyEnd.length) {
                throw new IllegalArgumentException("attention key ranges: " + keyStart.length + " starts but " + keyEnd.length + " ends");
            }
            keyStart = keyStart.clone();
            keyEnd = keyEnd.clone();
            for (int b = 0; b < keyStart.length; b++) {
                if (keyStart[b] < 0 || keyEnd[b] < keyStart[b]) {
                    throw new IllegalArgumentException("attention key range of row " + b + " is [" + keyStart[b] + ", " + keyEnd[b] + ")");
                }
            }
        }
        if (segments != null) {
            int[][] copy = new int[segments.length][];
            for (int b = 0; b < segments.length; b++) {
                if (segments[b] == null) throw new IllegalArgumentException("attention segment ids: row " + b + " is null");
                copy[b] = segments[b].clone();
            }
            segments = copy;
        }
    }

    /** Causal self-attention with the given score scale (usually head_dim^-0.5). */
    public static AttentionSpec causal(double scale) {
        return new AttentionSpec(scale, 0, true, 0, QUERIES_LAST, null, null, null);
    }

    /** Every query sees every key (encoders, the VQGAN's spatial attention). */
    public static AttentionSpec full(double scale) {
        return new AttentionSpec(scale, 0, false, 0, QUERIES_LAST, null, null, null);
    }

    public AttentionSpec withSoftcap(double cap) {
        return new AttentionSpec(scale, cap, causal, window, queryOffset, keyStart, keyEnd, segments);
    }

    /** Sliding window of w slots (0 = none): the query at slot p sees keys j &gt; p − w. */
    public AttentionSpec withWindow(int w) {
        return new AttentionSpec(scale, softcap, causal, w, queryOffset, keyStart, keyEnd, segments);
    }

    public AttentionSpec withQueryOffset(int offset) {
        return new AttentionSpec(scale, softcap, causal, window, offset, keyStart, keyEnd, segments);
    }

    /** Per batch row, the valid key slots [start[b], end[b]). */
    public AttentionSpec withKeyRanges(int[] start, int[] end) {
        return new AttentionSpec(scale, softcap, causal, window, queryOffset, start, end, segments);
    }

    /** Per batch row, a segment (document) id for every key slot, [B][Lk]. */
    public AttentionSpec withSegments(int[][] ids) {
        return new AttentionSpec(scale, softcap, causal, window, queryOffset, keyStart, keyEnd, ids);
    }

    /** The slot of query 0 for lq queries over lk keys. */
    public int queryOffset(int lq, int lk) {
        return queryOffset == QUERIES_LAST ? lk - lq : queryOffset;
    }

    /**
     * First visible key slot for the query at slot p of row b, before the segment test: a
     * kernel scans [keyLo, keyHi) and tests segments only inside it.
     */
    public int keyLo(int b, int p) {
        int lo = keyStart == null ? 0 : keyStart[b];
        if (window > 0) lo = Math.max(lo, p - window + 1);
        return lo;
    }

    /** One past the last visible key slot for the query at slot p of row b (lk key slots), before the segment test. */
    public int keyHi(int b, int p, int lk) {
        int hi = keyEnd == null ? lk : Math.min(lk, keyEnd[b]);
        if (causal) hi = Math.min(hi, p + 1);
        return hi;
    }

    /** Whether key slot j is visible to the query at slot p of row b (lk key slots). */
    public boolean visible(int b, int p, int j, int lk) {
        if (j < keyLo(b, p) || j >= keyHi(b, p, lk)) return false;
        return segments == null || segments[b][j] == segments[b][p];
    }

    /**
     * Checks the spec against attention of lq queries over lk keys in a batch of b rows; throws
     * IllegalArgumentException naming what does not fit.
     */
    public void check(int batch, int lq, int lk) {
        int off = queryOffset(lq, lk);
        if (off < 0) throw new IllegalArgumentException("attention: " + lq + " queries but only " + lk + " keys (queries must be among the key slots)");
        if ((causal || segments != null || window > 0) && off + lq > lk) {
            throw new IllegalArgumentException("attention: queries at slots [" + off + ", " + (off + lq) + ") lie outside the " + lk
                    + " key slots (causal, windowed and segmented attention place queries among the keys)");
        }
        if (keyStart != null && keyStart.length != batch) {
            throw new IllegalArgumentException("attention key ranges cover " + keyStart.length + " rows, the batch has " + batch);
        }
        if (keyEnd != null) {
            for (int b = 0; b < batch; b++) {
                if (keyEnd[b] > lk) throw new IllegalArgumentException("attention key range of row " + b + " ends at " + keyEnd[b] + " past the " + lk + " key slots");
            }
        }
        if (segments != null) {
            if (segments.length != batch) throw new IllegalArgumentException("attention segment ids cover " + segments.length + " rows, the batch has " + batch);
            for (int b = 0; b < batch; b++) {
                if (segments[b].length != lk) {
                    throw new IllegalArgumentException("attention segment ids of row " + b + " have " + segments[b].length + " entries, need one per key slot (" + lk + ")");
                }
            }
        }
    }

    @Override public String toString() {
        StringBuilder s = new StringBuilder("AttentionSpec[scale=").append(scale);
        if (softcap > 0) s.append(", softcap=").append(softcap);
        s.append(causal ? ", causal" : ", full");
        if (window > 0) s.append(", window=").append(window);
        if (queryOffset != QUERIES_LAST) s.append(", queryOffset=").append(queryOffset);
        if (keyStart != null) s.append(", keyStart=").append(Arrays.toString(keyStart)).append(", keyEnd=").append(Arrays.toString(keyEnd));
        if (segments != null) s.append(", segments=").append(segments.length).append(" rows");
        return s.append(']').toString();
    }
}
