package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.AttentionSpec;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The spec's visibility as one key interval [lo, hi) per query, so that the kernels visit only
 * the key tiles some query of a tile can see and test single keys only in tiles that straddle
 * an interval end. Segment ids narrow the interval to the query's own run of ids when every id
 * of the batch row forms one contiguous run (packed documents, padding folded into segments of
 * their own): then the interval is exact. Only rows whose ids recur after a gap keep a per-key
 * segment test ({@link #segmentTest}); their tiles are always masked key by key.
 *
 * <p>A query that sees no key gets the empty interval [0, 0). O(B·(Lq + Lk)) ints, never Lq×Lk.
 */
final class AttentionRanges {
    private static final VectorSpecies<Float> F = GemmDecode.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int V = F.length();
    final int lq, lk, offset;
    private final int[] lo, hi;
    private final boolean[] segmentTest;
    private final int[][] segments;
    /** Per batch row, the document bounds {@link #documents} returns; null where it returns null. */
    private final int[][] documents;

    AttentionRanges(AttentionSpec spec, int batch, int lq, int lk) {
        this.lq = lq;
        this.lk = lk;
        this.offset = spec.queryOffset(lq, lk);
        this.segments = spec.segments();
        this.lo = new int[batch * lq];
        this.hi = new int[batch * lq];
        this.segmentTest = new boolean[batch];
        this.documents = new int[batch][];
        int[] runStart = segments == null ? null : new int[lk], runEnd = segments == null ? null : new int[lk];
        for (int b = 0; b < batch; b++) {
            boolean runs = segments != null && runs(segments[b], runStart, runEnd);
            segmentTest[b] = segments != null && !runs;
            if (lq == lk && offset == 0 && !segmentTest[b]) documents[b] = runs ? bounds(runStart, lk) : new int[] {0, lk};
            for (int i = 0; i < lq; i++) {
                int p = offset + i;
                int l = spec.keyLo(b, p), h = spec.keyHi(b, p, lk);
                if (runs) {
                    l = Math.max(l, runStart[p]);
                    h = Math.min(h, runEnd[p]);
                }
                boolean empty = l >= h;
                lo[b * lq + i] = empty ? 0 : l;
                hi[b * lq + i] = empty ? 0 : h;
            }
        }
    }

    /**
     * Fills runStart/runEnd with the bounds of the run of equal ids around each slot and says
     * whether every id occurs in one run only (so that the run is all the id's keys).
     */
    private static boolean runs(int[] ids, int[] runStart, int[] runEnd) {
        Set<Integer> closed = new HashSet<>();
        int n = ids.length;
        for (int s = 0; s < n; ) {
            int e = s + 1;
            while (e < n && ids[e] == ids[s]) e++;
            if (!closed.add(ids[s])) return false;
            for (int j = s; j < e; j++) {
                runStart[j] = s;
                runEnd[j] = e;
            }
            s = e;
        }
        return true;
    }

    /** The starts of the runs (from runStart) and lk at the end. */
    private static int[] bounds(int[] runStart, int lk) {
        int n = 0;
        for (int j = 0; j < lk; j++) if (runStart[j] == j) n++;
        int[] out = new int[n + 1];
        n = 0;
        for (int j = 0; j < lk; j++) if (runStart[j] == j) out[n++] = j;
        out[n] = lk;
        return out;
    }

    /**
     * Row b's slots cut into documents that see only themselves: bounds {s0 = 0, s1, …, lk},
     * document t the slots [s_t, s_t+1), every query's key interval inside its own document
     * (so no query of one document sees a key of another, in either direction). A row without
     * segment ids is one document; a row with runs of segment ids has one per run. Null where
     * that does not hold: ids that recur after a gap, or queries that are not the key slots
     * themselves (lq ≠ lk or a query offset: a KV cache).
     */
    int[] documents(int b) { return documents[b]; }

    /** Heap bytes of the intervals and the run bounds built for them. */
    long bytes() {
        long docs = 0;
        for (int[] d : documents) docs += d == null ? 0 : d.length;
        return 4L * (lo.length + hi.length + (segments == null ? 0 : 2L * lk) + docs) + segmentTest.length;
    }

    /** First visible key of query i in batch row b; queries past lq see nothing. */
    int lo(int b, int i) { return i < lq ? lo[b * lq + i] : 0; }

    /** One past the last visible key of query i (lo = hi: none). */
    int hi(int b, int i) { return i < lq ? hi[b * lq + i] : 0; }

    /** Whether query i of row b has keys of [pA, pA + nr) inside its interval (the segment test aside). */
    boolean meets(int b, int i, int pA, int nr) {
        int l = lo(b, i), h = hi(b, i);
        return l < h && l < pA + nr && h > pA;
    }

    /** Whether row b needs the per-key segment test inside [lo, hi). */
    boolean segmentTest(int b) { return segmentTest[b]; }

    /** Whether query i of row b sees key j. */
    boolean visible(int b, int i, int j) {
        if (j < lo(b, i) || j >= hi(b, i)) return false;
        return !segmentTest[b] || segments[b][j] == segments[b][offset + i];
    }

    /**
     * Zeroes in x and y (row i of n queries at at + i·nr, lane k the key pA + k) every score that
     * query i0 + i of row b does not see: the lanes outside its key interval as two runs, and
     * key by key only where the row needs the segment test. What {@link #visible} decides for
     * each element, without a call and two interval loads per element.
     */
    void maskQueryRows(int b, int i0, int n, int pA, int nr, float[] x, float[] y, int at) {
        for (int i = 0; i < n; i++) {
            int row = at + i * nr, l = Math.clamp(lo(b, i0 + i) - pA, 0, nr), h = Math.clamp(hi(b, i0 + i) - pA, 0, nr);
            if (l >= h) l = h = nr;
            Arrays.fill(x, row, row + l, 0f);
            Arrays.fill(y, row, row + l, 0f);
            Arrays.fill(x, row + h, row + nr, 0f);
            Arrays.fill(y, row + h, row + nr, 0f);
            if (!segmentTest[b] || l == h) continue;
            int own = segments[b][offset + i0 + i];
            for (int k = l; k < h; k++) {
                if (segments[b][pA + k] != own) {
                    x[row + k] = 0f;
                    y[row + k] = 0f;
                }
            }
        }
    }

    /**
     * Sets to fill, in x (row j of kn keys at j·nr, lane i the query i0 + i), every score that a
     * query does not see: per query lane, the keys jA + j outside its interval, and key by key
     * only where the row needs the segment test. The transposed twin of {@link #maskQueryRows}.
     */
    void maskQueryLanes(int b, int i0, int jA, int kn, int nr, float[] x, float fill) {
        maskQueryLanes(b, i0, jA, kn, nr, x, null, fill);
    }

    /**
     * {@link #maskQueryLanes} in x and, where y is not null, the same positions of y (the
     * backward's P and dS). Without a segment test a key row is a vector compare per V lanes:
     * key jA + j is hidden from the lanes where it lies below lo or at or above hi (an empty
     * interval is [0, 0), which hides every key; lanes past lq load it so), and only the rows
     * below the lanes' largest lo or from their smallest hi on can hide anything. The scalar
     * loops wrote the hidden scores one lane at a time, each to another cache line.
     */
    void maskQueryLanes(int b, int i0, int jA, int kn, int nr, float[] x, float[] y, float fill) {
        if (segmentTest[b] || nr % V != 0) {
            maskQueryLanesScalar(b, i0, jA, kn, nr, x, fill);
            if (y != null) maskQueryLanesScalar(b, i0, jA, kn, nr, y, fill);
            return;
        }
        for (int half = 0; half < nr; half += V) {
            int q = i0 + half, at = b * lq + q;
            VectorMask<Integer> live = I.indexInRange(q, lq);
            IntVector lv = IntVector.fromArray(I, lo, at, live), hv = IntVector.fromArray(I, hi, at, live);
            int below = Math.clamp(lv.reduceLanes(VectorOperators.MAX) - jA, 0, kn);
            int from = Math.clamp(hv.reduceLanes(VectorOperators.MIN) - jA, below, kn);
            for (int j = 0; j < below; j++) hide(jA + j, lv, hv, x, y, j * nr + half, fill);
            for (int j = from; j < kn; j++) hide(jA + j, lv, hv, x, y, j * nr + half, fill);
        }
    }

    /** Sets fill at o in x (and y) in the lanes whose interval [lv, hv) does not hold key. */
    private static void hide(int key, IntVector lv, IntVector hv, float[] x, float[] y, int o, float fill) {
        IntVector k = IntVector.broadcast(I, key);
        VectorMask<Float> hidden = k.compare(VectorOperators.LT, lv).or(k.compare(VectorOperators.GE, hv)).cast(F);
        FloatVector.fromArray(F, x, o).blend(fill, hidden).intoArray(x, o);
        if (y != null) FloatVector.fromArray(F, y, o).blend(fill, hidden).intoArray(y, o);
    }

    /** {@link #maskQueryLanes} lane by lane, with the segment test where the row needs it. */
    private void maskQueryLanesScalar(int b, int i0, int jA, int kn, int nr, float[] x, float fill) {
        for (int i = 0; i < nr; i++) {
            int l = kn, h = kn;   // a lane past lq sees nothing
            if (i0 + i < lq) {
                l = Math.clamp(lo(b, i0 + i) - jA, 0, kn);
                h = Math.clamp(hi(b, i0 + i) - jA, 0, kn);
                if (l >= h) l = h = kn;
            }
            for (int j = 0; j < l; j++) x[j * nr + i] = fill;
            for (int j = h; j < kn; j++) x[j * nr + i] = fill;
            if (!segmentTest[b] || l == h) continue;
            int own = segments[b][offset + i0 + i];
            for (int j = l; j < h; j++) {
                if (segments[b][jA + j] != own) x[j * nr + i] = fill;
            }
        }
    }

    /**
     * The keys the queries [i0, i0 + n) of row b see, as {union lo, union hi, common lo,
     * common hi} in out[0..4): a key tile outside the union is skipped; one inside the common
     * interval (and without a segment test) is visible to every query of the block and needs no
     * masking. Queries past lq are left out: the kernels compute their lanes independently of
     * the others and never store them.
     */
    void block(int b, int i0, int n, int[] out) {
        int uLo = Integer.MAX_VALUE, uHi = Integer.MIN_VALUE, cLo = Integer.MIN_VALUE, cHi = Integer.MAX_VALUE;
        for (int i = i0; i < Math.min(i0 + n, lq); i++) {
            int l = lo(b, i), h = hi(b, i);
            if (l < h) {
                uLo = Math.min(uLo, l);
                uHi = Math.max(uHi, h);
            }
            cLo = Math.max(cLo, l);
            cHi = Math.min(cHi, h);
        }
        if (uLo >= uHi) {
            uLo = 0;
            uHi = 0;
        }
        if (segmentTest[b] || cLo >= cHi) {
            cLo = 0;
            cHi = 0;
        }
        out[0] = uLo;
        out[1] = uHi;
        out[2] = cLo;
        out[3] = cHi;
    }

    /**
     * {@link #block} for each of the nb blocks of nr queries starting at i0, into blocks[q·4 ..
     * q·4 + 4); returns the union of their key intervals as {lo, hi} in span (lo ≥ hi: the tile
     * sees no key). The forward and the dQ pass stream the key tiles of that union.
     */
    void tile(int b, int i0, int nb, int nr, int[] blocks, int[] span) {
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (int q = 0; q < nb; q++) {
            int at = q * 4;
            block(b, i0 + q * nr, nr, span);
            System.arraycopy(span, 0, blocks, at, 4);
            if (span[0] < span[1]) {
                lo = Math.min(lo, span[0]);
                hi = Math.max(hi, span[1]);
            }
        }
        span[0] = lo;
        span[1] = hi;
    }
}
