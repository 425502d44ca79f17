package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.AttentionKernel.NR;

import java.util.Arrays;

/**
 * Backward pass 2 of {@link AttentionBackward}: dQ. Work item and tiling are the forward's
 * ({@link AttentionForward}): (batch row, query head, query tile), queries and dO packed
 * transposed as NR-query blocks, vectors across queries, streaming over the visible key tiles:
 * <pre>  Sᵀ = K·qᵀ, dPᵀ = V·dOᵀ   [keys][NR]   (K and V rows as broadcast operands)
 *   P, dS                      (lse and D per lane)
 *   dQᵀ += Kᵀ·dSᵀ              [D][NR]</pre>
 * The sum over keys runs in key order inside one item: deterministic.
 */
final class AttentionBackwardQueries {
    private static final int QUERY_TILE = AttentionForward.QUERY_TILE, KEY_TILE = AttentionForward.KEY_TILE;

    private AttentionBackwardQueries() {}

    static void run(AttentionCall c, float[] lse, float[] rowDot, AttentionRows gOut, AttentionRows gq) {
        c.forEachQueryTile(QUERY_TILE, () -> new Scratch(c), (b, h, i0, s) -> s.item(c, b, h, i0, lse, rowDot, gOut, gq));
    }

    private static final class Scratch {
        final float[] qT, dOT, dqT, lseLanes, dLanes, kt, vt, sT, dpT, row;
        final int[] blocks, blk;

        Scratch(AttentionCall c) {
            qT = c.floats(QUERY_TILE * c.d);
            dOT = c.floats(QUERY_TILE * c.dv);
            dqT = c.floats(QUERY_TILE * c.d);
            lseLanes = c.floats(QUERY_TILE);
            dLanes = c.floats(QUERY_TILE);
            kt = c.floats(KEY_TILE * c.d);
            vt = c.floats(KEY_TILE * c.dv);
            sT = c.floats(KEY_TILE * NR);
            dpT = c.floats(KEY_TILE * NR);
            row = c.floats(Math.max(c.d, c.dv));
            blocks = c.ints(QUERY_TILE / NR * 4);
            blk = c.ints(4);
        }

        void item(AttentionCall c, int b, int h, int i0, float[] lse, float[] rowDot, AttentionRows gOut, AttentionRows gq) {
            int n = Math.min(QUERY_TILE, c.lq - i0), nb = (n + NR - 1) / NR, hk = h / c.group, d = c.d;
            c.q.loadPanels(b, h, i0, n, qT, 0, c.qScale, row);
            gOut.loadPanels(b, h, i0, n, dOT, 0, 1f, row);
            Arrays.fill(dqT, 0, nb * NR * d, 0f);
            int rows = (b * c.hq + h) * c.lq + i0;
            for (int r = 0; r < nb * NR; r++) {
                // lanes past lq have q = dO = 0: with lse 0 their P is finite and dS = P·(0 − 0) = 0
                lseLanes[r] = r < n ? lse[rows + r] : 0f;
                dLanes[r] = r < n ? rowDot[rows + r] : 0f;
            }
            c.ranges.tile(b, i0, nb, NR, blocks, blk);
            int lo = blk[0], hi = blk[1];
            for (int k0 = lo < hi ? lo / KEY_TILE * KEY_TILE : hi; k0 < hi; k0 += KEY_TILE) {
                int kA = Math.max(k0, lo), kB = Math.min(k0 + KEY_TILE, hi);
                c.k.loadTile(b, hk, kA, kB - kA, kt, 1f);
                c.v.loadTile(b, hk, kA, kB - kA, vt, 1f);
                for (int q = 0; q < nb; q++) {
                    int jA = Math.max(kA, blocks[q * 4]), jB = Math.min(kB, blocks[q * 4 + 1]);
                    if (jA < jB) block(c, b, i0 + q * NR, q, jA, jB, kA);
                }
            }
            float scale = c.scale;
            for (int r = 0; r < n; r++) {
                int at = (r / NR) * d * NR + r % NR;
                for (int x = 0; x < d; x++) row[x] = dqT[at + x * NR] * scale;
                gq.store(b, h, i0 + r, row, 0);
            }
        }

        /** Keys [jA, jB) against query block q (queries i0..i0+NR): dQᵀ of the block += Kᵀ·dSᵀ. */
        private void block(AttentionCall c, int b, int i0, int q, int jA, int jB, int kA) {
            int kn = jB - jA, d = c.d, dv = c.dv, r0 = jA - kA;
            Arrays.fill(sT, 0, kn * NR, 0f);
            Arrays.fill(dpT, 0, kn * NR, 0f);
            AttentionKernel.rowsA(kn, d, kt, r0 * d, d, qT, q * d * NR, sT, 0);
            AttentionKernel.rowsA(kn, dv, vt, r0 * dv, dv, dOT, q * dv * NR, dpT, 0);
            if (c.cap > 0) AttentionBackward.cappedProbabilitiesByLane(sT, dpT, kn, lseLanes, dLanes, q * NR, c.cap);
            else AttentionBackward.probabilitiesByLane(sT, dpT, kn, lseLanes, dLanes, q * NR);
            if (!(blocks[q * 4 + 2] <= jA && jB <= blocks[q * 4 + 3])) c.ranges.maskQueryLanes(b, i0, jA, kn, NR, dpT, 0f);
            AttentionKernel.colsA(d, kn, kt, r0 * d, d, dpT, 0, dqT, q * d * NR);
        }
    }
}
