package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.AttentionKernel.NR;

import java.util.Arrays;

/**
 * Backward pass 1 of {@link AttentionBackward}: dK and dV. Work item: (batch row, KV head, key
 * tile of {@link #KEY_TILE} keys). The item packs its K and V tiles transposed once, as
 * NR-key panels Kᵀ [D][NR], Vᵀ [Dv][NR], and keeps dKᵀ, dVᵀ in the same layout; then, for
 * every query head of the GQA group and every tile of {@link #QUERY_TILE} queries whose
 * visibility reaches the keys, with vectors running across NR keys:
 * <pre>  S = Q·Kᵀ, dP = dO·Vᵀ   [queries][NR]   (Q and dO rows as broadcast operands)
 *   P, dS                    (lse and D broadcast per query row)
 *   dVᵀ += dOᵀ·P, dKᵀ += Qᵀ·dS  [dims][NR]</pre>
 * The sums over queries run in query order, head by head, inside one item: deterministic.
 */
final class AttentionBackwardKeys {
    /** Keys per item, whole NR-key panels; queries per step. Like the forward's, measured flat from 32 to 256. */
    static final int KEY_TILE = Math.max(NR, 64 / NR * NR), QUERY_TILE = 64;

    private AttentionBackwardKeys() {}

    static void run(AttentionCall c, float[] lse, float[] rowDot, AttentionRows gOut, AttentionRows gk, AttentionRows gv) {
        int tiles = (c.lk + KEY_TILE - 1) / KEY_TILE, qTiles = (c.lq + QUERY_TILE - 1) / QUERY_TILE;
        int heads = c.batch * c.hkv;
        int[][] blocks = queryBlocks(c, qTiles);
        long[] cost = c.longs(c.batch * tiles);
        for (int b = 0; b < c.batch; b++) {
            for (int t = 0; t < tiles; t++) {
                int kA = t * KEY_TILE, kB = Math.min(c.lk, kA + KEY_TILE);
                long pairs = 1;     // an estimate of the (query, key) pairs the item visits
                for (int u = 0; u < qTiles; u++) {
                    pairs += (long) Math.max(0, Math.min(kB, blocks[b][u * 4 + 1]) - Math.max(kA, blocks[b][u * 4])) * QUERY_TILE;
                }
                cost[b * tiles + t] = pairs;
            }
        }
        // item = tile · heads + (b · Hkv + hk)
        c.forEachItem(heads * tiles, i -> cost[(i % heads) / c.hkv * tiles + i / heads], () -> new Scratch(c), (item, s) -> {
            int t = item / heads, bh = item % heads;
            s.item(c, bh / c.hkv, bh % c.hkv, t * KEY_TILE, blocks[bh / c.hkv], lse, rowDot, gOut, gk, gv);
        });
    }

    /** Per batch row, {@link AttentionRanges#block} of every query tile, 4 ints each. */
    private static int[][] queryBlocks(AttentionCall c, int qTiles) {
        int[][] blocks = new int[c.batch][];
        int[] blk = c.ints(4);
        for (int b = 0; b < c.batch; b++) {
            blocks[b] = c.ints(qTiles * 4);
            for (int u = 0; u < qTiles; u++) {
                c.ranges.block(b, u * QUERY_TILE, Math.min(QUERY_TILE, c.lq - u * QUERY_TILE), blk);
                System.arraycopy(blk, 0, blocks[b], u * 4, 4);
            }
        }
        return blocks;
    }

    private static final class Scratch {
        final float[] kT, vT, dkT, dvT, qs, dO, s, dp, row, lseRow, dRow;

        Scratch(AttentionCall c) {
            kT = c.floats(KEY_TILE * c.d);
            vT = c.floats(KEY_TILE * c.dv);
            dkT = c.floats(KEY_TILE * c.d);
            dvT = c.floats(KEY_TILE * c.dv);
            qs = c.floats(QUERY_TILE * c.d);
            dO = c.floats(QUERY_TILE * c.dv);
            s = c.floats(KEY_TILE * QUERY_TILE);
            dp = c.floats(KEY_TILE * QUERY_TILE);
            row = c.floats(Math.max(c.d, c.dv));
            lseRow = c.floats(QUERY_TILE);
            dRow = c.floats(QUERY_TILE);
        }

        void item(AttentionCall c, int b, int hk, int k0, int[] blocks, float[] lse, float[] rowDot,
                  AttentionRows gOut, AttentionRows gk, AttentionRows gv) {
            int d = c.d, dv = c.dv, kn = Math.min(KEY_TILE, c.lk - k0), panels = (kn + NR - 1) / NR;
            c.k.loadPanels(b, hk, k0, kn, kT, 0, 1f, row);
            c.v.loadPanels(b, hk, k0, kn, vT, 0, 1f, row);
            Arrays.fill(dkT, 0, panels * NR * d, 0f);
            Arrays.fill(dvT, 0, panels * NR * dv, 0f);
            for (int g = 0; g < c.group; g++) {
                int h = hk * c.group + g;
                for (int u = 0; u * QUERY_TILE < c.lq; u++) {
                    int uLo = blocks[u * 4], uHi = blocks[u * 4 + 1];
                    if (uLo >= uHi || uHi <= k0 || uLo >= k0 + kn) continue;
                    queryTile(c, b, h, u * QUERY_TILE, k0, panels, uLo, uHi, blocks[u * 4 + 2], blocks[u * 4 + 3], lse, rowDot, gOut);
                }
            }
            float scale = AttentionBackward.keyGradScale(c);
            for (int j = 0; j < kn; j++) {
                int at = (j / NR) * NR, lane = j % NR;
                for (int x = 0; x < d; x++) row[x] = dkT[at * d + x * NR + lane] * scale;
                gk.store(b, hk, k0 + j, row, 0);
                for (int x = 0; x < dv; x++) row[x] = dvT[at * dv + x * NR + lane];
                gv.store(b, hk, k0 + j, row, 0);
            }
        }

        /** Adds the contributions of queries [i0, i0 + QUERY_TILE) of head h to dKᵀ, dVᵀ. */
        private void queryTile(AttentionCall c, int b, int h, int i0, int k0, int panels, int uLo, int uHi, int cLo, int cHi,
                               float[] lse, float[] rowDot, AttentionRows gOut) {
            int d = c.d, dv = c.dv, n = Math.min(QUERY_TILE, c.lq - i0);
            c.q.loadTile(b, h, i0, n, qs, c.qScale);
            gOut.loadTile(b, h, i0, n, dO, 1f);
            int rows = (b * c.hq + h) * c.lq + i0;
            System.arraycopy(lse, rows, lseRow, 0, n);
            System.arraycopy(rowDot, rows, dRow, 0, n);
            for (int kp = 0; kp < panels; kp++) {
                int pA = k0 + kp * NR;
                if (pA >= uHi || pA + NR <= uLo) continue;
                // only the rows from the first to the last query whose interval meets the panel:
                // causal queries before it and queries of later packed documents see none of
                // its keys, their P and dS would be masked to zeros, and zeros add nothing to the
                // sums over queries below (the same bits)
                int r0 = 0, r1 = n;
                while (r0 < r1 && !c.ranges.meets(b, i0 + r0, pA, NR)) r0++;
                while (r1 > r0 && !c.ranges.meets(b, i0 + r1 - 1, pA, NR)) r1--;
                if (r0 == r1) continue;
                int m = r1 - r0, at = kp * QUERY_TILE * NR + r0 * NR;
                Arrays.fill(s, at, at + m * NR, 0f);
                Arrays.fill(dp, at, at + m * NR, 0f);
                AttentionKernel.rowsA(m, d, qs, r0 * d, d, kT, kp * d * NR, s, at);
                AttentionKernel.rowsA(m, dv, dO, r0 * dv, dv, vT, kp * dv * NR, dp, at);
                if (c.cap > 0) AttentionBackward.cappedProbabilitiesByRow(s, dp, at, m, lseRow, dRow, r0, c.cap);
                else AttentionBackward.probabilitiesByRow(s, dp, at, m, lseRow, dRow, r0);
                if (!(cLo <= pA && pA + NR <= cHi)) c.ranges.maskQueryRows(b, i0 + r0, m, pA, NR, s, dp, at);
                AttentionKernel.colsA(dv, m, dO, r0 * dv, dv, s, at, dvT, kp * dv * NR);
                AttentionKernel.colsA(d, m, qs, r0 * d, d, dp, at, dkT, kp * d * NR);
            }
        }
    }
}
