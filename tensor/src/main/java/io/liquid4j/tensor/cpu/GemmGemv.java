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
    static final int MAX_M = 4;
    /** Elements of B per parallel range, so tiny products stay on the calling thread. */
    private static final int MIN_ELEMENTS_PER_THREAD = 1 << 15;
    /** Bytes of W rows re-read from L2 by the 2nd..m-th row of A (transB path). */
    private static final int ROW_BLOCK_BYTES = 128 << 10;
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

    /** B stored [n, k]: C(i, j) = dot(x_i, W_j) for each row W_j, streamed once. */
    private static void rowsOfW(GemmArgs g, float[] x) {
        int m = g.m(), k = g.k();
        int block = Math.max(1, ROW_BLOCK_BYTES / (k * g.bType().byteSize()));
        CpuThreads.parallelFor(g.n(), Math.max(1, MIN_ELEMENTS_PER_THREAD / k), (start, end) -> {
            for (int j0 = start; j0 < end; j0 += block) {
                int j1 = Math.min(end, j0 + block);
                for (int i = 0; i < m; i++) {
                    for (int j = j0; j < j1; j++) {
                        float v = dot(x, i * k, g.b(), g.bAt(0, j), k, g.bType());
                        put(g, i, j, v);
                    }
                }
            }
        });
    }

    /** Σ_p x[xi+p]·W[p] over k contiguous elements; four accumulators hide the FMA latency. */
    private static float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
        long es = type.byteSize(), step = V * es;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int p = 0;
        for (; p <= k - 4 * V; p += 4 * V) {
            long o = off + p * es;
            s0 = GemmDecode.load(w, o, type).fma(FloatVector.fromArray(F, x, xi + p), s0);
            s1 = GemmDecode.load(w, o + step, type).fma(FloatVector.fromArray(F, x, xi + p + V), s1);
            s2 = GemmDecode.load(w, o + 2 * step, type).fma(FloatVector.fromArray(F, x, xi + p + 2 * V), s2);
            s3 = GemmDecode.load(w, o + 3 * step, type).fma(FloatVector.fromArray(F, x, xi + p + 3 * V), s3);
        }
        for (; p <= k - V; p += V) {
            s0 = GemmDecode.load(w, off + p * es, type).fma(FloatVector.fromArray(F, x, xi + p), s0);
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
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
        CpuThreads.parallelFor(blocks, minBlocks, (start, end) -> {
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
