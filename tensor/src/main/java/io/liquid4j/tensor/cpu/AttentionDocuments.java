package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.AttentionKernel.NR;
import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Attention over short documents, each taken whole: the forward and the backward for a call
 * whose rows are cut into documents that see only themselves ({@link AttentionRanges#documents}:
 * packed training rows, or rows of at most {@link #maxDocument()} slots) and none longer than
 * {@link #maxDocument()}.
 *
 * <p>Work item: (batch row, document, head), a KV head with its GQA group in the backward. Query
 * blocks of NR start at the document's first slot, so no block reaches into a neighbour, and each
 * block's keys (its queries' union interval) are one tile: the forward needs no online rescale,
 * and the backward computes P and dS once per (block, key) and takes all five products from them
 * <pre>  Sᵀ = K·qᵀ, dPᵀ = V·dOᵀ   [keys][NR]   (vectors across the block's queries)
 *   P, dS                      (lse and D per lane)
 *   dQᵀ  = Kᵀ·dSᵀ              [D][NR]      (complete: the block's keys are all in the item)
 *   dV  += P·dO, dK += dS·q     [keys][dims] (the block's dO and q as NR-dim panels)</pre>
 * where the general kernels ({@link AttentionForward}, {@link AttentionBackward}) tile queries
 * and keys at fixed 64-slot boundaries that straddle documents, and compute P and dP twice in
 * two backward passes so that each pass writes rows of its own. Here an item owns its document's
 * rows of dQ, dK and dV outright; the sums over queries run in block order and over the group's
 * heads in head order inside one item, so the results do not depend on the thread count either.
 * (PackedAttentionBench: the demo's packed multimodal batch; BENCHMARKS.md.)
 */
final class AttentionDocuments {
    /**
     * Longest document taken whole, the system property liquid4j.attention.wholeDocuments (0
     * turns the path off). Its tiles grow with the document: keys × NR scores and keys × D of K,
     * V, dK and dV per thread, 256 keeps them within L2.
     */
    static int maxDocument() {
        return Integer.getInteger("liquid4j.attention.wholeDocuments", 256);
    }

    private AttentionDocuments() {}

    /** Whether every row of the call is cut into documents no longer than {@link #maxDocument()}. */
    static boolean suits(AttentionCall c) {
        int max = maxDocument();
        if (max <= 0) return false;
        for (int b = 0; b < c.batch; b++) {
            int[] docs = c.ranges.documents(b);
            if (docs == null) return false;
            for (int t = 0; t + 1 < docs.length; t++) if (docs[t + 1] - docs[t] > max) return false;
        }
        return true;
    }

    /** Items (b, document, head) of `heads` heads per document: b, first slot, slots, head. */
    private static int[][] items(AttentionCall c, int heads) {
        int count = 0;
        for (int b = 0; b < c.batch; b++) count += (c.ranges.documents(b).length - 1) * heads;
        int[][] items = new int[count][];
        int n = 0;
        for (int b = 0; b < c.batch; b++) {
            int[] docs = c.ranges.documents(b);
            for (int t = 0; t + 1 < docs.length; t++) {
                for (int h = 0; h < heads; h++) items[n++] = new int[] {b, docs[t], docs[t + 1] - docs[t], h};
            }
        }
        return items;
    }

    static void forward(AttentionCall c, AttentionRows out, float[] lse) {
        int[][] items = items(c, c.hq);
        c.forEachItem(items.length, i -> (long) items[i][2] * items[i][2], () -> new Forward(c), (i, s) -> {
            int[] it = items[i];
            s.document(c, it[0], it[1], it[2], it[3], out, lse);
        });
    }

    static void backward(AttentionCall c, AttentionRows out, float[] lse, AttentionRows gOut,
                         AttentionRows gq, AttentionRows gk, AttentionRows gv) {
        float[] rowDot = AttentionBackward.rowDots(c, out, gOut);
        int[][] items = items(c, c.hkv);
        c.forEachItem(items.length, i -> (long) items[i][2] * items[i][2] * c.group, () -> new Backward(c), (i, s) -> {
            int[] it = items[i];
            s.document(c, it[0], it[1], it[2], it[3], lse, rowDot, gOut, gq, gk, gv);
        });
    }

    /**
     * Puts the keys [blk[0], blk[1]) that the queries [i0, i0 + n) of row b see into blk and says
     * whether some of them are hidden from some of the queries (the block needs masking).
     */
    private static boolean keys(AttentionCall c, int b, int i0, int n, int[] blk) {
        c.ranges.block(b, i0, n, blk);
        return !(blk[2] <= blk[0] && blk[1] <= blk[3]);
    }

    /** One thread's forward tiles, sized for the longest document. */
    private static final class Forward {
        final float[] qT, kt, vt, sT, oT, m, l, row;
        final int[] blk;

        Forward(AttentionCall c) {
            int max = maxDocument() + NR;
            qT = c.floats(max * c.d);
            kt = c.floats(max * c.d);
            vt = c.floats(max * c.dv);
            sT = c.floats(max * NR);
            oT = c.floats(NR * c.dv);
            m = c.floats(NR);
            l = c.floats(NR);
            row = c.floats(Math.max(c.d, c.dv));
            blk = c.ints(4);
        }

        /** Head h over the slots [s, s + n) of row b. */
        void document(AttentionCall c, int b, int s, int n, int h, AttentionRows out, float[] lse) {
            int hk = h / c.group, d = c.d, dv = c.dv;
            c.q.loadPanels(b, h, s, n, qT, 0, c.qScale, row);
            c.k.loadTile(b, hk, s, n, kt, 1f);
            c.v.loadTile(b, hk, s, n, vt, 1f);
            for (int i0 = s; i0 < s + n; i0 += NR) {
                int rows = Math.min(NR, s + n - i0);
                boolean masked = keys(c, b, i0, rows, blk);
                int jA = blk[0], jB = blk[1], kn = jB - jA;
                Arrays.fill(oT, 0, dv * NR, 0f);
                Arrays.fill(l, 0f);
                if (kn > 0) {
                    Arrays.fill(sT, 0, kn * NR, 0f);
                    AttentionKernel.rowsA(kn, d, kt, (jA - s) * d, d, qT, (i0 - s) * d, sT, 0);
                    if (c.cap > 0) AttentionForward.softcap(sT, kn * NR, c.cap);
                    if (masked) c.ranges.maskQueryLanes(b, i0, jA, kn, NR, sT, Float.NEGATIVE_INFINITY);
                    softmax(kn);
                    AttentionKernel.colsA(dv, kn, vt, (jA - s) * dv, dv, sT, 0, oT, 0);
                }
                for (int r = 0; r < rows; r++) {
                    float sum = l[r], inv = sum > 0 ? 1f / sum : 0f;
                    for (int x = 0; x < dv; x++) row[x] = oT[x * NR + r] * inv;
                    out.store(b, h, i0 + r, row, 0);
                    lse[(b * c.hq + h) * c.lq + i0 + r] = sum > 0 ? (float) (m[r] + Math.log(sum)) : Float.NEGATIVE_INFINITY;
                }
            }
        }

        /** sT [kn][NR] ← exp(s − max over keys) per lane, with the max in m and the sum in l. */
        private void softmax(int kn) {
            for (int half = 0; half < NR; half += V) {
                FloatVector mt = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int j = 0; j < kn; j++) mt = mt.max(FloatVector.fromArray(F, sT, j * NR + half));
                // a lane that sees no key keeps m = −∞; shift it by 0 so exp(−∞ − 0) = 0, not NaN
                FloatVector shift = mt.blend(0f, mt.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < kn; j++) {
                    FloatVector e = VectorMath.expScore(FloatVector.fromArray(F, sT, j * NR + half).sub(shift));
                    e.intoArray(sT, j * NR + half);
                    sum = sum.add(e);
                }
                mt.intoArray(m, half);
                sum.intoArray(l, half);
            }
        }
    }

    /** One thread's backward tiles, sized for the longest document. */
    private static final class Backward {
        final float[] qT, dOT, kt, vt, dk, dv, sT, dpT, dqT, qP, dOP, lseLanes, dLanes, row;
        final int[] blk;
        final int dPanels, dvPanels;

        Backward(AttentionCall c) {
            int max = maxDocument() + NR;
            dPanels = (c.d + NR - 1) / NR;
            dvPanels = (c.dv + NR - 1) / NR;
            qT = c.floats(max * c.d);
            dOT = c.floats(max * c.dv);
            kt = c.floats(max * c.d);
            vt = c.floats(max * c.dv);
            dk = c.floats(max * dPanels * NR);
            dv = c.floats(max * dvPanels * NR);
            sT = c.floats(max * NR);
            dpT = c.floats(max * NR);
            dqT = c.floats(c.d * NR);
            qP = c.floats(dPanels * NR * NR);
            dOP = c.floats(dvPanels * NR * NR);
            lseLanes = c.floats(NR);
            dLanes = c.floats(NR);
            row = c.floats(Math.max(c.d, c.dv));
            blk = c.ints(4);
        }

        /** KV head hk (all its query heads) over the slots [s, s + n) of row b. */
        void document(AttentionCall c, int b, int s, int n, int hk, float[] lse, float[] rowDot,
                      AttentionRows gOut, AttentionRows gq, AttentionRows gk, AttentionRows gv) {
            int d = c.d, dV = c.dv;
            c.k.loadTile(b, hk, s, n, kt, 1f);
            c.v.loadTile(b, hk, s, n, vt, 1f);
            Arrays.fill(dk, 0, dPanels * n * NR, 0f);
            Arrays.fill(dv, 0, dvPanels * n * NR, 0f);
            for (int g = 0; g < c.group; g++) {
                int h = hk * c.group + g, rows0 = (b * c.hq + h) * c.lq;
                c.q.loadPanels(b, h, s, n, qT, 0, c.qScale, row);
                gOut.loadPanels(b, h, s, n, dOT, 0, 1f, row);
                for (int i0 = s; i0 < s + n; i0 += NR) {
                    int rows = Math.min(NR, s + n - i0);
                    boolean masked = keys(c, b, i0, rows, blk);
                    int jA = blk[0], kn = blk[1] - jA;
                    Arrays.fill(dqT, 0, d * NR, 0f);
                    if (kn > 0) block(c, b, i0, rows, s, n, jA, kn, masked, lse, rowDot, rows0);
                    for (int r = 0; r < rows; r++) {
                        for (int x = 0; x < d; x++) row[x] = dqT[x * NR + r] * c.scale;
                        gq.store(b, h, i0 + r, row, 0);
                    }
                }
            }
            float kScale = AttentionBackward.keyGradScale(c);
            for (int j = 0; j < n; j++) {
                unpanel(dk, n, j, d, kScale, row);
                gk.store(b, hk, s + j, row, 0);
                unpanel(dv, n, j, dV, 1f, row);
                gv.store(b, hk, s + j, row, 0);
            }
        }

        /**
         * The query block of `rows` queries at i0 (panel (i0 − s)/NR of qT, dOT) against its keys
         * [jA, jA + kn), in the document of n slots from s.
         */
        private void block(AttentionCall c, int b, int i0, int rows, int s, int n, int jA, int kn, boolean masked,
                           float[] lse, float[] rowDot, int rows0) {
            int d = c.d, dV = c.dv, r0 = jA - s;
            int qAt = (i0 - s) * d, dOAt = (i0 - s) * dV;
            for (int r = 0; r < NR; r++) {
                // lanes past the document have q = dO = 0 (the panels' zero columns): with
                // lse = D = 0 their P is finite and their dS 0, and P·dO adds nothing
                lseLanes[r] = r < rows ? lse[rows0 + i0 + r] : 0f;
                dLanes[r] = r < rows ? rowDot[rows0 + i0 + r] : 0f;
            }
            Arrays.fill(sT, 0, kn * NR, 0f);
            Arrays.fill(dpT, 0, kn * NR, 0f);
            AttentionKernel.rowsA(kn, d, kt, r0 * d, d, qT, qAt, sT, 0);
            AttentionKernel.rowsA(kn, dV, vt, r0 * dV, dV, dOT, dOAt, dpT, 0);
            if (c.cap > 0) AttentionBackward.cappedProbabilitiesByLane(sT, dpT, kn, lseLanes, dLanes, 0, c.cap);
            else AttentionBackward.probabilitiesByLane(sT, dpT, kn, lseLanes, dLanes, 0);
            if (masked) {
                c.ranges.maskQueryLanes(b, i0, jA, kn, NR, sT, dpT, 0f);
            }
            // dQᵀ [D][NR] = Kᵀ·dSᵀ
            AttentionKernel.colsA(d, kn, kt, r0 * d, d, dpT, 0, dqT, 0);
            // the block's q and dO as rows [NR queries][NR dims], one panel per NR dims
            rowPanels(qT, qAt, d, qP);
            rowPanels(dOT, dOAt, dV, dOP);
            // dV [keys][dims] += P·dO, dK += dS·q, dims in NR-wide panels
            for (int p = 0; p < dvPanels; p++) AttentionKernel.rowsA(kn, NR, sT, 0, NR, dOP, p * NR * NR, dv, (p * n + r0) * NR);
            for (int p = 0; p < dPanels; p++) AttentionKernel.rowsA(kn, NR, dpT, 0, NR, qP, p * NR * NR, dk, (p * n + r0) * NR);
        }

        /** Row j of the [panel][n keys][NR dims] tile `panels`, width dims, times scale into row. */
        private static void unpanel(float[] panels, int n, int j, int width, float scale, float[] row) {
            for (int x0 = 0; x0 < width; x0 += NR) {
                int at = ((x0 / NR) * n + j) * NR, m = Math.min(NR, width - x0), x = 0;
                for (; x <= m - V; x += V) FloatVector.fromArray(F, panels, at + x).mul(scale).intoArray(row, x0 + x);
                for (; x < m; x++) row[x0 + x] = panels[at + x] * scale;
            }
        }

        /** The transposed block panel [width][NR] at `at` as rows [NR][width] in NR-dim panels: out[p][r][j] = panel[p·NR + j][r]. */
        private static void rowPanels(float[] panel, int at, int width, float[] out) {
            int panels = (width + NR - 1) / NR;
            for (int p = 0; p < panels; p++) {
                for (int r = 0; r < NR; r++) {
                    int o = (p * NR + r) * NR;
                    for (int j = 0; j < NR; j++) {
                        int x = p * NR + j;
                        out[o + j] = x < width ? panel[at + x * NR + r] : 0f;
                    }
                }
            }
        }
    }
}
