package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.F32_LE;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * GEMM with very few rows of A (decode-time y = W·x): bound by the bandwidth of streaming B
 * once, so B is read in place (decoded in registers), never packed. The few rows of op(A)
 * are gathered into one small contiguous heap array that stays in L1/L2.
 */
final class GemmGemv {
    /** Largest m served here; above it, packing B once amortises over enough rows. */
    static final int MAX_M = Integer.getInteger("maxm", 4);
    /** Elements of B per parallel range, so tiny products stay on the calling thread. */
    private static final int MIN_ELEMENTS_PER_THREAD = 1 << 15;
    /** Columns of C kept in an L1-resident accumulator row (non-transposed B path). */
    private static final int COL_BLOCK = 512;

    private GemmGemv() {}

    static void multiply(GemmArgs g) {
        int m = g.m(), k = g.k();
        float[] x = new float[m * k];
        for (int i = 0; i < m; i++) {
            if (g.transA()) {
                for (int p = 0; p < k; p++) x[i * k + p] = g.a().get(F32_LE, g.aAt(i, p));
            } else {
                MemorySegment.copy(g.a(), F32_LE, g.aAt(i, 0), x, i * k, k);
            }
        }
        if (g.transB()) rowsOfW(g, x);
        else columnsOfB(g, x);
    }

    /**
     * B stored [n, k]: C(i, j) = dot(x_i, W_j). Rows of W go four at a time, so each x vector
     * load feeds four FMAs and the core keeps four DRAM streams in flight (one stream per core
     * leaves bandwidth unused). Rows of x go two at a time, so each decoded W vector feeds two;
     * the four W rows are re-read from L1/L2 for each pair.
     */
    private static void rowsOfW(GemmArgs g, float[] x) {
        int m = g.m(), k = g.k(), n = g.n();
        long rowBytes = (long) g.ldb() * g.bType().byteSize();
        int quads = (n + ROWS - 1) / ROWS;
        g.forRanges(quads, Math.max(1, MIN_ELEMENTS_PER_THREAD / (ROWS * k)), (start, end) -> {
            float[] dots = new float[2 * ROWS];
            float[] rows = new float[ROWS * CHUNK];
            for (int j = start * ROWS; j < Math.min(n, end * ROWS); j += ROWS) {
                long off = g.bAt(0, j);
                int valid = Math.min(ROWS, n - j);
                for (int i = 0; i < m; i += 2) {
                    int xb = i + 1 < m ? i + 1 : i;   // an odd last row of x is paired with itself
                    if (valid == ROWS) {
                        dot4x2(x, i * k, xb * k, g.b(), off, rowBytes, k, g.bType(), dots, rows);
                        for (int r = 0; r < ROWS; r++) {
                            put(g, i, j + r, dots[r]);
                            if (xb != i) put(g, xb, j + r, dots[ROWS + r]);
                        }
                    } else {
                        // the last 1-3 rows of W one at a time: rowBytes 0 makes all four "rows" this one
                        for (int r = 0; r < valid; r++) {
                            dot4x2(x, i * k, xb * k, g.b(), off + r * rowBytes, 0, k, g.bType(), dots, rows);
                            put(g, i, j + r, dots[0]);
                            if (xb != i) put(g, xb, j + r, dots[ROWS]);
                        }
                    }
                }
            }
        });
    }

    /** Rows of W per {@link #dot4x2}. */
    private static final int ROWS = 4;
    /** Elements of each W row decoded per step: four rows of it stay in L1 (4 KiB). */
    private static final int CHUNK = 256;

    /**
     * out[r] = Σ_p x_a[p]·W_r[p] and out[4 + r] = Σ_p x_b[p]·W_r[p] for the 4 W rows at byte
     * offsets off + r·rowBytes. Each chunk of the four rows is first decoded to f32 in an L1
     * buffer by {@link GemmPacking#decodeRow} (one monomorphic loop per dtype), then the FMAs
     * read plain float arrays; the extra L1 pass is free next to streaming W from DRAM.
     */
    private static void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                               float[] out, float[] rows) {
        long es = type.byteSize();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        float[] tail = new float[2 * ROWS];
        for (int p0 = 0; p0 < k; p0 += CHUNK) {
            int len = Math.min(CHUNK, k - p0);
            for (int r = 0; r < ROWS; r++) GemmPacking.decodeRow(w, off + r * rowBytes + p0 * es, type, len, rows, r * CHUNK);
            int p = 0;
            for (; p <= len - V; p += V) {
                FloatVector xav = FloatVector.fromArray(F, x, xa + p0 + p), xbv = FloatVector.fromArray(F, x, xb + p0 + p);
                FloatVector w0 = FloatVector.fromArray(F, rows, p);
                a0 = w0.fma(xav, a0);
                b0 = w0.fma(xbv, b0);
                FloatVector w1 = FloatVector.fromArray(F, rows, CHUNK + p);
                a1 = w1.fma(xav, a1);
                b1 = w1.fma(xbv, b1);
                FloatVector w2 = FloatVector.fromArray(F, rows, 2 * CHUNK + p);
                a2 = w2.fma(xav, a2);
                b2 = w2.fma(xbv, b2);
                FloatVector w3 = FloatVector.fromArray(F, rows, 3 * CHUNK + p);
                a3 = w3.fma(xav, a3);
                b3 = w3.fma(xbv, b3);
            }
            for (; p < len; p++) {
                for (int r = 0; r < ROWS; r++) {
                    float v = rows[r * CHUNK + p];
                    tail[r] += x[xa + p0 + p] * v;
                    tail[ROWS + r] += x[xb + p0 + p] * v;
                }
            }
        }
        // lane sums in a fixed order (RowMath.sumLanes); no array of vectors, which would box them
        out[0] = (float) (RowMath.sumLanes(a0) + tail[0]);
        out[1] = (float) (RowMath.sumLanes(a1) + tail[1]);
        out[2] = (float) (RowMath.sumLanes(a2) + tail[2]);
        out[3] = (float) (RowMath.sumLanes(a3) + tail[3]);
        out[4] = (float) (RowMath.sumLanes(b0) + tail[4]);
        out[5] = (float) (RowMath.sumLanes(b1) + tail[5]);
        out[6] = (float) (RowMath.sumLanes(b2) + tail[6]);
        out[7] = (float) (RowMath.sumLanes(b3) + tail[7]);
    }

    /** B stored [k, n]: C(i, :) = Σ_p x_i[p]·B[p, :], by column blocks accumulated in L1. */
    private static void columnsOfB(GemmArgs g, float[] x) {
        int m = g.m(), k = g.k(), n = g.n();
        int blocks = (n + COL_BLOCK - 1) / COL_BLOCK;
        int minBlocks = Math.max(1, MIN_ELEMENTS_PER_THREAD / (COL_BLOCK * k));
        DType type = g.bType();
        g.forRanges(blocks, minBlocks, (start, end) -> {
            float[] acc = new float[m * COL_BLOCK];
            float[] row = new float[COL_BLOCK];
            for (int blk = start; blk < end; blk++) {
                int j0 = blk * COL_BLOCK, width = Math.min(COL_BLOCK, n - j0);
                Arrays.fill(acc, 0f);
                for (int p = 0; p < k; p++) {
                    GemmPacking.decodeRow(g.b(), g.bAt(p, j0), type, width, row, 0);
                    int jj = 0;
                    for (; jj <= width - V; jj += V) {
                        FloatVector w = FloatVector.fromArray(F, row, jj);
                        for (int i = 0; i < m; i++) {
                            int ai = i * COL_BLOCK + jj;
                            FloatVector.broadcast(F, x[i * k + p]).fma(w, FloatVector.fromArray(F, acc, ai))
                                    .intoArray(acc, ai);
                        }
                    }
                    for (; jj < width; jj++) {
                        float w = row[jj];
                        for (int i = 0; i < m; i++) acc[i * COL_BLOCK + jj] += x[i * k + p] * w;
                    }
                }
                for (int i = 0; i < m; i++) {
                    for (int jj = 0; jj < width; jj++) put(g, i, j0 + jj, acc[i * COL_BLOCK + jj]);
                }
            }
        });
    }

    private static void put(GemmArgs g, int i, int j, float v) {
        long off = g.cAt(i, j);
        g.c().set(F32_LE, off, g.accumulate() ? g.c().get(F32_LE, off) + v : v);
    }
}
