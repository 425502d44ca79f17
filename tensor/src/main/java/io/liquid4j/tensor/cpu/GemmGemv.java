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
            for (int j = start * ROWS; j < Math.min(n, end * ROWS); j += ROWS) {
                long off = g.bAt(0, j);
                if (j + ROWS > n) {
                    for (int i = 0; i < m; i++) {
                        for (int r = 0; j + r < n; r++) put(g, i, j + r, dot(x, i * k, g.b(), off + r * rowBytes, k, g.bType()));
                    }
                    continue;
                }
                int i = 0;
                for (; i + 2 <= m; i += 2) {
                    dot4x2(x, i * k, (i + 1) * k, g.b(), off, rowBytes, k, g.bType(), dots);
                    for (int r = 0; r < 2 * ROWS; r++) put(g, i + r / ROWS, j + r % ROWS, dots[r]);
                }
                if (i < m) {
                    dot4(x, i * k, g.b(), off, rowBytes, k, g.bType(), dots);
                    for (int r = 0; r < ROWS; r++) put(g, i, j + r, dots[r]);
                }
            }
        });
    }

    /** Rows of W per {@link #dot4}. */
    private static final int ROWS = 4;

    /** out[i·4 + r] = Σ_p x_i[p]·W_r[p] for x rows at xa and xb and the 4 W rows at off + r·rowBytes. */
    private static void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                               float[] out) {
        long es = type.byteSize();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * es;
            FloatVector xav = FloatVector.fromArray(F, x, xa + p), xbv = FloatVector.fromArray(F, x, xb + p);
            FloatVector w0 = GemmDecode.load(w, o, type);
            a0 = w0.fma(xav, a0);
            b0 = w0.fma(xbv, b0);
            FloatVector w1 = GemmDecode.load(w, o + rowBytes, type);
            a1 = w1.fma(xav, a1);
            b1 = w1.fma(xbv, b1);
            FloatVector w2 = GemmDecode.load(w, o + 2 * rowBytes, type);
            a2 = w2.fma(xav, a2);
            b2 = w2.fma(xbv, b2);
            FloatVector w3 = GemmDecode.load(w, o + 3 * rowBytes, type);
            a3 = w3.fma(xav, a3);
            b3 = w3.fma(xbv, b3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
        out[4] = b0.reduceLanes(VectorOperators.ADD);
        out[5] = b1.reduceLanes(VectorOperators.ADD);
        out[6] = b2.reduceLanes(VectorOperators.ADD);
        out[7] = b3.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            for (int r = 0; r < ROWS; r++) {
                float v = GemmDecode.scalar(w, off + r * rowBytes + p * es, type);
                out[r] += x[xa + p] * v;
                out[ROWS + r] += x[xb + p] * v;
            }
        }
    }

    /** out[r] = Σ_p x[xi+p]·W_r[p] for the 4 rows at byte offsets off + r·rowBytes. */
    private static void dot4(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type,
                             float[] out) {
        long es = type.byteSize();
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * es;
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = GemmDecode.load(w, o, type).fma(xv, s0);
            s1 = GemmDecode.load(w, o + rowBytes, type).fma(xv, s1);
            s2 = GemmDecode.load(w, o + 2 * rowBytes, type).fma(xv, s2);
            s3 = GemmDecode.load(w, o + 3 * rowBytes, type).fma(xv, s3);
        }
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            for (int r = 0; r < ROWS; r++) out[r] += x[xi + p] * GemmDecode.scalar(w, off + r * rowBytes + p * es, type);
        }
    }

    /** Σ_p x[xi+p]·W[p] over k contiguous elements at byte offset off (the last few rows of W). */
    private static float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
        long es = type.byteSize();
        FloatVector s = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) s = GemmDecode.load(w, off + p * es, type).fma(FloatVector.fromArray(F, x, xi + p), s);
        float sum = s.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) sum += x[xi + p] * GemmDecode.scalar(w, off + p * es, type);
        return sum;
    }

    /** B stored [k, n]: C(i, :) = Σ_p x_i[p]·B[p, :], by column blocks accumulated in L1. */
    private static void columnsOfB(GemmArgs g, float[] x) {
        int m = g.m(), k = g.k(), n = g.n();
        int blocks = (n + COL_BLOCK - 1) / COL_BLOCK;
        int minBlocks = Math.max(1, MIN_ELEMENTS_PER_THREAD / (COL_BLOCK * k));
        DType type = g.bType();
        long es = type.byteSize();
        g.forRanges(blocks, minBlocks, (start, end) -> {
            float[] acc = new float[m * COL_BLOCK];
            for (int blk = start; blk < end; blk++) {
                int j0 = blk * COL_BLOCK, width = Math.min(COL_BLOCK, n - j0);
                Arrays.fill(acc, 0f);
                for (int p = 0; p < k; p++) {
                    long off = g.bAt(p, j0);
                    int jj = 0;
                    for (; jj <= width - V; jj += V) {
                        FloatVector w = GemmDecode.load(g.b(), off + jj * es, type);
                        for (int i = 0; i < m; i++) {
                            int ai = i * COL_BLOCK + jj;
                            FloatVector.broadcast(F, x[i * k + p]).fma(w, FloatVector.fromArray(F, acc, ai))
                                    .intoArray(acc, ai);
                        }
                    }
                    for (; jj < width; jj++) {
                        float w = GemmDecode.scalar(g.b(), off + jj * es, type);
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
