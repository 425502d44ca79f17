package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.AttentionKernel.NR;
import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The tiled forward (flash attention with an online softmax) for prefill and training: memory
 * O(tile·D) per thread, the Lq×Lk scores never exist.
 *
 * <p>Work item: (batch row, query head, tile of {@link #QUERY_TILE} queries), in
 * {@link AttentionCall#forEachItem} order. Its queries are packed transposed and pre-scaled as
 * NR-query blocks, qᵀ [D][NR], so every score, softmax and output vector runs across NR
 * queries: the running max, sum and rescale are lanewise (no horizontal reductions), and K and V
 * serve as broadcast operands in the layout they are stored in. The item streams over the key
 * tiles that its queries' visibility intervals reach ({@link AttentionRanges}: causal and
 * window tiles beyond the diagonal are never visited), decoding each K/V tile to f32 once for
 * all its blocks. Per block and tile: sᵀ = K·qᵀ [keys][NR], softcap, a key-by-key mask only if
 * the tile straddles some query's interval, then m' = max(m, max_j s), p = exp(s − m'),
 * l = l·e^(m−m') + Σ p, oᵀ = oᵀ·e^(m−m') + Vᵀ·p. At the end out = o / l, lse = m + log l.
 */
final class AttentionForward {
    /**
     * Queries per work item (whole NR-blocks) and keys per tile. Single-thread time of causal
     * 2 × 2048 × 64 (AVX-512) varied within its noise (±5%) over 32..256 × 32..256: every tile
     * of that range stays in L2, and the micro-kernels dominate. 64 keeps enough items for the
     * threads at short lengths.
     */
    static final int QUERY_TILE = Math.max(NR, 64 / NR * NR), KEY_TILE = 64;

    private AttentionForward() {}

    static void run(AttentionCall c, AttentionRows out, float[] lse) {
        c.forEachQueryTile(QUERY_TILE, () -> new Scratch(c), (b, h, i0, s) -> s.item(c, b, h, i0, out, lse));
    }

    /** One thread's tiles. */
    private static final class Scratch {
        final float[] qT, oT, m, l, kt, vt, sT, row;
        final int[] blocks, blk;

        Scratch(AttentionCall c) {
            qT = c.floats(QUERY_TILE * c.d);
            oT = c.floats(QUERY_TILE * c.dv);
            m = c.floats(QUERY_TILE);
            l = c.floats(QUERY_TILE);
            kt = c.floats(KEY_TILE * c.d);
            vt = c.floats(KEY_TILE * c.dv);
            sT = c.floats(KEY_TILE * NR);
            row = c.floats(Math.max(c.d, c.dv));
            blocks = c.ints(QUERY_TILE / NR * 4);
            blk = c.ints(4);
        }

        void item(AttentionCall c, int b, int h, int i0, AttentionRows out, float[] lse) {
            int n = Math.min(QUERY_TILE, c.lq - i0), nb = (n + NR - 1) / NR, hk = h / c.group, dv = c.dv;
            c.q.loadPanels(b, h, i0, n, qT, 0, c.qScale, row);
            Arrays.fill(oT, 0, nb * NR * dv, 0f);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            c.ranges.tile(b, i0, nb, NR, blocks, blk);
            int lo = blk[0], hi = blk[1];
            for (int k0 = lo < hi ? lo / KEY_TILE * KEY_TILE : hi; k0 < hi; k0 += KEY_TILE) {
                int kA = Math.max(k0, lo), kB = Math.min(k0 + KEY_TILE, hi);
                c.k.loadTile(b, hk, kA, kB - kA, kt, 1f);
                c.v.loadTile(b, hk, kA, kB - kA, vt, 1f);
                for (int q = 0; q < nb; q++) {
                    int jA = Math.max(kA, blocks[q * 4]), jB = Math.min(kB, blocks[q * 4 + 1]);
                    if (jA >= jB) continue;
                    block(c, b, i0 + q * NR, q, jA, jB, kA);
                }
            }
            finish(c, b, h, i0, n, out, lse);
        }

        /** Keys [jA, jB) (rows jA − kA.. of the K/V tiles) against query block q (queries i0..i0+NR). */
        private void block(AttentionCall c, int b, int i0, int q, int jA, int jB, int kA) {
            int kn = jB - jA, d = c.d, dv = c.dv, r0 = jA - kA;
            Arrays.fill(sT, 0, kn * NR, 0f);
            AttentionKernel.rowsA(kn, d, kt, r0 * d, d, qT, q * d * NR, sT, 0);
            if (c.cap > 0) AttentionForward.softcap(sT, kn * NR, c.cap);
            if (!(blocks[q * 4 + 2] <= jA && jB <= blocks[q * 4 + 3])) c.ranges.maskQueryLanes(b, i0, jA, kn, NR, sT, Float.NEGATIVE_INFINITY);
            for (int half = 0; half < NR; half += V) {
                int at = q * NR + half;
                FloatVector mt = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int j = 0; j < kn; j++) mt = mt.max(FloatVector.fromArray(F, sT, j * NR + half));
                FloatVector mOld = FloatVector.fromArray(F, m, at);
                FloatVector mNew = mOld.max(mt);
                // a lane that has seen only hidden keys keeps m = −∞; shift it by 0 so exp(−∞ − 0) = 0, not NaN
                FloatVector shift = mNew.blend(0f, mNew.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < kn; j++) {
                    FloatVector e = VectorMath.expScore(FloatVector.fromArray(F, sT, j * NR + half).sub(shift));
                    e.intoArray(sT, j * NR + half);
                    sum = sum.add(e);
                }
                FloatVector alpha = VectorMath.expScore(mOld.sub(shift));
                FloatVector.fromArray(F, l, at).fma(alpha, sum).intoArray(l, at);
                mNew.intoArray(m, at);
                if (!mNew.compare(VectorOperators.EQ, mOld).allTrue()) {
                    int ob = q * dv * NR + half;
                    for (int x = 0; x < dv; x++) FloatVector.fromArray(F, oT, ob + x * NR).mul(alpha).intoArray(oT, ob + x * NR);
                }
            }
            AttentionKernel.colsA(dv, kn, vt, r0 * dv, dv, sT, 0, oT, q * dv * NR);
        }

        /** out = oᵀ / l transposed back to rows, lse = m + log l; queries that saw nothing get 0 and −∞. */
        private void finish(AttentionCall c, int b, int h, int i0, int n, AttentionRows out, float[] lse) {
            int dv = c.dv;
            for (int r = 0; r < n; r++) {
                int q = r / NR, lane = r % NR, at = q * NR + lane;
                float sum = l[at];
                float inv = sum > 0 ? 1f / sum : 0f;
                for (int x = 0; x < dv; x++) row[x] = oT[q * dv * NR + x * NR + lane] * inv;
                out.store(b, h, i0 + r, row, 0);
                lse[(b * c.hq + h) * c.lq + i0 + r] = sum > 0 ? (float) (m[at] + Math.log(sum)) : Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** s = cap·tanh(s) over n floats (s arrives as score/cap). */
    static void softcap(float[] s, int n, float cap) {
        int i = 0;
        for (; i <= n - V; i += V) VectorMath.tanh(FloatVector.fromArray(F, s, i)).mul(cap).intoArray(s, i);
        for (; i < n; i++) s[i] = cap * (float) Math.tanh(s[i]);
    }
}
