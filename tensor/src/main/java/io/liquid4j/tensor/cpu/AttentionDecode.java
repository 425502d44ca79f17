package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * The forward for a few queries over many keys (decoding with a KV cache, Lq ≤
 * {@link #MAX_QUERIES}): {@link AttentionForward}'s vectors run across NR queries and would
 * compute mostly empty lanes here, so this kernel runs its vectors along the head dimension
 * instead: one dot product per key, the online softmax per query row, o += p·v along Dv.
 * Work item: (batch row, query head), all its queries; the key loop, the visibility intervals
 * and the per-tile K/V decode are those of the tiled kernel.
 */
final class AttentionDecode {
    /**
     * Queries per head up to which this kernel beats the NR-query blocks of the tiled one: its
     * time grows by one dot product per key with every query, the tiled kernel's stays flat up
     * to NR queries. Measured, 12 heads × 64, F32 cache: with AVX-512 (NR = 32) this kernel
     * takes ~73 µs per query at Lk = 1024 against ~470 µs for a tiled block (crossover 6 to 7;
     * ~8 at Lk = 4096); with AVX2 (NR = 16) ~65 µs per query against ~385 µs (crossover ~5).
     */
    static final int MAX_QUERIES = V >= 16 ? 6 : 4;
    private static final int KEY_TILE = AttentionForward.KEY_TILE;
    /**
     * K and V are decoded into the scratch for up to this many bytes of f32 per operand at a time
     * (whole key tiles; at least one): the cache comes from DRAM, and one tile at a time (8 KiB of
     * a BF16 cache at d = 64) kept a core's reads in short bursts. A CFG step at 1000 positions
     * spent ~12% less in attention with 64 KiB loads (4 tiles) than with one tile.
     */
    private static final int LOAD_BYTES = 64 << 10;
    // lane maps of fold4 (16 or 8 lanes)
    private static final VectorShuffle<Float> SWAP_HALVES = VectorShuffle.fromOp(F, i -> i ^ (V / 2));
    private static final VectorShuffle<Float> LOW_QUARTERS = VectorShuffle.fromOp(F, i -> (i % 8 / 4) * 8 + i % 4);
    private static final VectorShuffle<Float> HIGH_QUARTERS = VectorShuffle.fromOp(F, i -> (i % 8 / 4) * 8 + i % 4 + 4);
    private static final VectorShuffle<Float> PAIRS_02 = VectorShuffle.fromOp(F, i -> (i % (V / 2) / 2) * 4 + i % 2);
    private static final VectorShuffle<Float> PAIRS_13 = VectorShuffle.fromOp(F, i -> (i % (V / 2) / 2) * 4 + i % 2 + 2);
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> 2 * i % V);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, i -> (2 * i + 1) % V);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, ((1L << V) - 1) & ~((1L << (V / 2)) - 1));

    private AttentionDecode() {}

    static boolean suits(AttentionCall c) {
        return c.lq <= MAX_QUERIES;
    }

    static void run(AttentionCall c, AttentionRows out, float[] lse) {
        int heads = c.batch * c.hq;
        c.forEachItem(heads, i -> 1, () -> Scratch.of(c), (bh, s) -> s.item(c, bh / c.hq, bh % c.hq, out, lse));
    }

    private static final class Scratch {
        /**
         * Each thread's scratch of the last call, taken again while its sizes fit: every array is
         * filled afresh for each item, and a new set per call (~74 KB at 12 heads × 64, zeroed by
         * the JVM) was allocated 12 times a decode step.
         */
        private static final ThreadLocal<Scratch> CACHED = new ThreadLocal<>();
        final int lq, d, dv, loadKeys;
        final float[] qs, o, m, l, kt, vt, s;

        static Scratch of(AttentionCall c) {
            Scratch s = CACHED.get();
            if (s == null || s.lq < c.lq || s.d != c.d || s.dv != c.dv) {
                s = new Scratch(c);
                CACHED.set(s);
            }
            return s;
        }

        private Scratch(AttentionCall c) {
            lq = c.lq;
            d = c.d;
            dv = c.dv;
            loadKeys = KEY_TILE * Math.max(1, LOAD_BYTES / (KEY_TILE * Float.BYTES * Math.max(1, Math.max(c.d, c.dv))));
            qs = c.floats(c.lq * c.d);
            o = c.floats(Math.max(1, c.lq * c.dv));
            m = c.floats(c.lq);
            l = c.floats(c.lq);
            kt = c.floats(loadKeys * c.d);
            vt = c.floats(loadKeys * c.dv);
            s = c.floats(KEY_TILE + V);   // + V: dot4 stores a whole vector at the last four keys
        }

        void item(AttentionCall c, int b, int h, AttentionRows out, float[] lse) {
            int hk = h / c.group, dv = c.dv;
            AttentionRanges r = c.ranges;
            c.q.loadTile(b, h, 0, c.lq, qs, c.qScale);
            Arrays.fill(o, 0f);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int i = 0; i < c.lq; i++) {
                if (r.lo(b, i) < r.hi(b, i)) {
                    lo = Math.min(lo, r.lo(b, i));
                    hi = Math.max(hi, r.hi(b, i));
                }
            }
            int loaded = Integer.MIN_VALUE;   // the first key in kt/vt
            for (int k0 = lo < hi ? lo / KEY_TILE * KEY_TILE : hi; k0 < hi; k0 += KEY_TILE) {
                int kA = Math.max(k0, lo), kB = Math.min(k0 + KEY_TILE, hi);
                // a new load every loadKeys keys (the softmax still goes tile by tile, as before)
                if (k0 % loadKeys == 0 || loaded == Integer.MIN_VALUE) {
                    int lB = Math.min((k0 / loadKeys + 1) * loadKeys, hi);
                    AttentionRows.loadTiles(c.k, c.v, b, hk, kA, lB - kA, kt, vt);
                    loaded = kA;
                }
                for (int i = 0; i < c.lq; i++) {
                    int jA = Math.max(kA, r.lo(b, i)), jB = Math.min(kB, r.hi(b, i));
                    if (jA < jB) row(c, b, i, jA - loaded, jB - loaded, loaded);
                }
            }
            for (int i = 0; i < c.lq; i++) {
                float inv = l[i] > 0 ? 1f / l[i] : 0f;
                for (int x = 0; x < dv; x++) o[i * dv + x] *= inv;
                out.store(b, h, i, o, i * dv);
                lse[(b * c.hq + h) * c.lq + i] = l[i] > 0 ? (float) (m[i] + Math.log(l[i])) : Float.NEGATIVE_INFINITY;
            }
        }

        /** Query i against tile rows [j0, j1) (key kA + j). */
        private void row(AttentionCall c, int b, int i, int j0, int j1, int kA) {
            int d = c.d, dv = c.dv, kn = j1 - j0;
            boolean segTest = c.ranges.segmentTest(b);
            float mt = Float.NEGATIVE_INFINITY;
            int j4 = 0;
            for (; j4 <= kn - 4; j4 += 4) dot4(qs, i * d, kt, (j0 + j4) * d, d, s, j4);
            for (; j4 < kn; j4++) s[j4] = dot(qs, i * d, kt, (j0 + j4) * d, d);
            for (int j = 0; j < kn; j++) {
                float sc = s[j];
                if (c.cap > 0) sc = c.cap * (float) Math.tanh(sc);
                if (segTest && !c.ranges.visible(b, i, kA + j0 + j)) sc = Float.NEGATIVE_INFINITY;
                s[j] = sc;
                mt = Math.max(mt, sc);
            }
            float mOld = m[i], mNew = Math.max(mOld, mt);
            float shift = mNew == Float.NEGATIVE_INFINITY ? 0f : mNew;
            float sum = expShift(s, kn, shift);
            float alpha = (float) Math.exp(mOld - shift);
            l[i] = l[i] * alpha + sum;
            m[i] = mNew;
            int ob = i * dv;
            if (mNew != mOld) {
                for (int x = 0; x < dv; x++) o[ob + x] *= alpha;
            }
            int x = 0;
            for (; x <= dv - 4 * V; x += 4 * V) accumulate4(s, vt, j0, kn, dv, o, ob + x, x);
            for (; x <= dv - V; x += V) {
                FloatVector acc = FloatVector.fromArray(F, o, ob + x);
                for (int j = 0; j < kn; j++) acc = FloatVector.broadcast(F, s[j]).fma(FloatVector.fromArray(F, vt, (j0 + j) * dv + x), acc);
                acc.intoArray(o, ob + x);
            }
            for (; x < dv; x++) {
                float acc = o[ob + x];
                for (int j = 0; j < kn; j++) acc += s[j] * vt[(j0 + j) * dv + x];
                o[ob + x] = acc;
            }
        }
    }

    /**
     * s[at + r] = a·b_r for the 4 rows b_r at bi + r·n, each exactly as {@link #dot} computes it:
     * one dot product is a chain of dependent FMAs (4-5 cycles each), so four keys at a time keep
     * the FMA units busy where one key at a time waits on its chain.
     */
    private static void dot4(float[] a, int ai, float[] b, int bi, int n, float[] s, int at) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int p = 0;
        for (; p <= n - V; p += V) {
            FloatVector av = FloatVector.fromArray(F, a, ai + p);
            s0 = av.fma(FloatVector.fromArray(F, b, bi + p), s0);
            s1 = av.fma(FloatVector.fromArray(F, b, bi + n + p), s1);
            s2 = av.fma(FloatVector.fromArray(F, b, bi + 2 * n + p), s2);
            s3 = av.fma(FloatVector.fromArray(F, b, bi + 3 * n + p), s3);
        }
        if (V == 16 || V == 8) {
            fold4(s0, s1, s2, s3).intoArray(s, at);
        } else {
            // summed outside this method (see VectorMath.parking): laneSum here stayed a call and boxed
            // the four sums, ~1 GB in 10 s of BF16 decoding (JFR allocation samples)
            float[] park = VectorMath.parking(4 * V);
            s0.intoArray(park, 0);
            s1.intoArray(park, V);
            s2.intoArray(park, 2 * V);
            s3.intoArray(park, 3 * V);
            VectorMath.laneSums(park, 4, s, at);
        }
        for (; p < n; p++) {
            float ap = a[ai + p];
            s[at] += ap * b[bi + p];
            s[at + 1] += ap * b[bi + n + p];
            s[at + 2] += ap * b[bi + 2 * n + p];
            s[at + 3] += ap * b[bi + 3 * n + p];
        }
    }

    /**
     * The lane sums of s0..s3 in lanes 0..3 (the other lanes hold partial sums): the additions of
     * {@link VectorMath#laneSum} — halves, then quarters, then (q0 + q2) + (q1 + q3) — with the
     * same operands, so the same bits, but done for the four keys at once by shuffles and blends,
     * where four laneSums took ~12 scalar operations a key next to the key's 4 FMAs (d = 64).
     */
    static FloatVector fold4(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3) {
        // each key's low half + high half, two keys a vector: 16 lanes [h0 | h1], 8 lanes [q0 | q1]
        FloatVector a = s0.blend(s1.rearrange(SWAP_HALVES), HIGH_HALF).add(s0.rearrange(SWAP_HALVES).blend(s1, HIGH_HALF));
        FloatVector b = s2.blend(s3.rearrange(SWAP_HALVES), HIGH_HALF).add(s2.rearrange(SWAP_HALVES).blend(s3, HIGH_HALF));
        if (V == 16) {
            // [q0 | q1 | q2 | q3]: each h's low 4 lanes + its high 4 lanes
            a = a.rearrange(LOW_QUARTERS).blend(b.rearrange(LOW_QUARTERS), HIGH_HALF)
                    .add(a.rearrange(HIGH_QUARTERS).blend(b.rearrange(HIGH_QUARTERS), HIGH_HALF));
            // (q[0] + q[2]) and (q[1] + q[3]) of each key side by side
            a = a.rearrange(PAIRS_02).add(a.rearrange(PAIRS_13));
        } else {
            // (q[0] + q[2]) and (q[1] + q[3]) of each key side by side, keys 0-1 from a, 2-3 from b
            a = a.rearrange(PAIRS_02).blend(b.rearrange(PAIRS_02), HIGH_HALF)
                    .add(a.rearrange(PAIRS_13).blend(b.rearrange(PAIRS_13), HIGH_HALF));
        }
        // the two of each key added: key r's sum in lane r
        return a.rearrange(EVEN).add(a.rearrange(ODD));
    }

    /**
     * o[ob, ob + 4V) += Σ_j s[j]·v_j[x, x + 4V) over the tile rows j0 + j, j < kn: four
     * independent accumulators, each lane summing its keys in the same order as the one-vector
     * loop (the same bits), where one accumulator waited a full FMA latency per key.
     */
    private static void accumulate4(float[] s, float[] vt, int j0, int kn, int dv, float[] o, int ob, int x) {
        FloatVector a0 = FloatVector.fromArray(F, o, ob), a1 = FloatVector.fromArray(F, o, ob + V);
        FloatVector a2 = FloatVector.fromArray(F, o, ob + 2 * V), a3 = FloatVector.fromArray(F, o, ob + 3 * V);
        for (int j = 0; j < kn; j++) {
            FloatVector p = FloatVector.broadcast(F, s[j]);
            int row = (j0 + j) * dv + x;
            a0 = p.fma(FloatVector.fromArray(F, vt, row), a0);
            a1 = p.fma(FloatVector.fromArray(F, vt, row + V), a1);
            a2 = p.fma(FloatVector.fromArray(F, vt, row + 2 * V), a2);
            a3 = p.fma(FloatVector.fromArray(F, vt, row + 3 * V), a3);
        }
        a0.intoArray(o, ob);
        a1.intoArray(o, ob + V);
        a2.intoArray(o, ob + 2 * V);
        a3.intoArray(o, ob + 3 * V);
    }

    private static float dot(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector acc = FloatVector.zero(F);
        int p = 0;
        for (; p <= n - V; p += V) acc = FloatVector.fromArray(F, a, ai + p).fma(FloatVector.fromArray(F, b, bi + p), acc);
        float sum = VectorMath.laneSum(acc);
        for (; p < n; p++) sum += a[ai + p] * b[bi + p];
        return sum;
    }

    /** s = exp(s − shift) in place; returns Σ s. */
    private static float expShift(float[] s, int n, float shift) {
        FloatVector acc = FloatVector.zero(F);
        int j = 0;
        for (; j <= n - V; j += V) {
            FloatVector e = VectorMath.expScore(FloatVector.fromArray(F, s, j).sub(shift));
            e.intoArray(s, j);
            acc = acc.add(e);
        }
        float sum = VectorMath.laneSum(acc);
        for (; j < n; j++) {
            s[j] = (float) Math.exp(s[j] - shift);
            sum += s[j];
        }
        return sum;
    }
}
