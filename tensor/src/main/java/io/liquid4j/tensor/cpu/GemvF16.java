package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.I16_LE;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Dot products of f32 x rows with F16 (IEEE binary16) W rows read in place, for {@link GemmGemv}.
 * Through the generic loops (a short load widened per V and rebiased with vector integer ops behind
 * the dtype switch) an F16 GEMV ran at ~5 GB/s of W on the 2-vCPU Zen 3 VM, 5.6× slower than BF16
 * and slower than F32 (GemvBench 4096 × 4096: 6.7–9.9 ms against 1.2 and 1.6); the same decode
 * written out per loop as for BF16 was erratic (5–7 ms, one compilation 519 ms: boxed vectors).
 *
 * <p>Here the W rows are converted a chunk of {@link #CHUNK} elements at a time, four rows per loop
 * ({@link #convert4}), into an L1-resident f32 scratch by plain loops of {@link Float#float16ToFloat},
 * which C2 vectorises to the hardware conversion (F16C vcvtph2ps; a throwaway harness measured 21–32
 * GB/s of f16 per thread from L2), and the
 * dot products then run on the scratch with f32 vectors. Exact for every f16 (subnormals, ±0,
 * infinities, NaN), and x stays in natural order. Each lane sums its products in a fixed order, so
 * results do not depend on the thread split.
 *
 * <p><b>Two vectors of k per pass in the pairs loop.</b> Written one vector per pass (6 loads, 8
 * FMAs), C2 unrolls the loop and the unrolled body runs at half the speed: a throwaway
 * single-thread loop of this shape over L1-resident arrays on the Zen 3 VM did 45–57 GFLOP/s as
 * compiled, 79–95 with unrolling switched off ({@code -XX:LoopUnrollLimit=0}), and 70–80 written two
 * vectors per pass (C2 does not unroll a loop of stride 2V further). Through {@code Gemm.gemm}, one
 * thread, W 512 × 2048 (L3): m = 2 from 224–230 to 141–150 µs, m = 8 from 643–699 to 335–370 µs; the
 * same products in the same order, so the same bits.
 */
final class GemvF16 {
    /** Elements per row converted at a time: 8 rows of it are 16 KiB of f32, within L1. */
    static final int CHUNK = 512;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[8 * CHUNK]);

    private GemvF16() {}

    /** w[at .. at + n) = the n f16 elements at byte offset off, as f32. */
    private static void convert(MemorySegment seg, long off, float[] w, int at, int n) {
        for (int i = 0; i < n; i++) w[at + i] = Float.float16ToFloat(seg.get(I16_LE, off + 2L * i));
    }

    /**
     * w[at + r·CHUNK ..][0, n) = the n f16 elements of the 4 rows at off + r·rowBytes, as f32: the
     * four rows in one loop, which C2 still vectorises, keep four DRAM streams in flight where one
     * row at a time kept one (a throwaway single-thread harness, 8 rows × 512 at a time over 128 MB:
     * 13.0–14.7 GB/s of f16 against 10.1–11.5 a row at a time).
     */
    private static void convert4(MemorySegment seg, long off, long rowBytes, float[] w, int at, int n) {
        for (int i = 0; i < n; i++) {
            long o = off + 2L * i;
            w[at + i] = Float.float16ToFloat(seg.get(I16_LE, o));
            w[at + CHUNK + i] = Float.float16ToFloat(seg.get(I16_LE, o + rowBytes));
            w[at + 2 * CHUNK + i] = Float.float16ToFloat(seg.get(I16_LE, o + 2 * rowBytes));
            w[at + 3 * CHUNK + i] = Float.float16ToFloat(seg.get(I16_LE, o + 3 * rowBytes));
        }
    }

    /** out[r] = x·W_r for the 8 W rows at off + r·rowBytes, x at xi. */
    static void dot8(float[] x, int xi, MemorySegment seg, long off, long rowBytes, int k, float[] out) {
        float[] w = SCRATCH.get();
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        int c0 = 0, len = 0, full = 0;
        for (; c0 < k; c0 += CHUNK) {
            len = Math.min(CHUNK, k - c0);
            full = len - len % V;
            convert4(seg, off + 2L * c0, rowBytes, w, 0, len);
            convert4(seg, off + 4 * rowBytes + 2L * c0, rowBytes, w, 4 * CHUNK, len);
            for (int p = 0; p < full; p += V) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + c0 + p);
                s0 = FloatVector.fromArray(F, w, p).fma(xv, s0);
                s1 = FloatVector.fromArray(F, w, CHUNK + p).fma(xv, s1);
                s2 = FloatVector.fromArray(F, w, 2 * CHUNK + p).fma(xv, s2);
                s3 = FloatVector.fromArray(F, w, 3 * CHUNK + p).fma(xv, s3);
                s4 = FloatVector.fromArray(F, w, 4 * CHUNK + p).fma(xv, s4);
                s5 = FloatVector.fromArray(F, w, 5 * CHUNK + p).fma(xv, s5);
                s6 = FloatVector.fromArray(F, w, 6 * CHUNK + p).fma(xv, s6);
                s7 = FloatVector.fromArray(F, w, 7 * CHUNK + p).fma(xv, s7);
            }
        }
        int last = xi + c0 - CHUNK;   // x index of the last chunk, whose scratch is still in w
        out[0] = VectorMath.laneSum(s0) + tail(w, 0, x, last, full, len);
        out[1] = VectorMath.laneSum(s1) + tail(w, 1, x, last, full, len);
        out[2] = VectorMath.laneSum(s2) + tail(w, 2, x, last, full, len);
        out[3] = VectorMath.laneSum(s3) + tail(w, 3, x, last, full, len);
        out[4] = VectorMath.laneSum(s4) + tail(w, 4, x, last, full, len);
        out[5] = VectorMath.laneSum(s5) + tail(w, 5, x, last, full, len);
        out[6] = VectorMath.laneSum(s6) + tail(w, 6, x, last, full, len);
        out[7] = VectorMath.laneSum(s7) + tail(w, 7, x, last, full, len);
    }

    /**
     * out[at + i·4 + r] = x_i·W_r for the x rows at xa (i = 0) and xb (i = 1) and the 4 W rows at
     * off + r·rowBytes: each converted W chunk feeds both x rows.
     */
    static void dot4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int k, float[] out, int at) {
        float[] w = SCRATCH.get(), acc = GemmGemv.accumulators(8 * V);
        int c0 = 0, len = 0, full = 0;
        for (; c0 < k; c0 += CHUNK) {
            len = Math.min(CHUNK, k - c0);
            full = len - len % V;
            convert4(seg, off + 2L * c0, rowBytes, w, 0, len);
            range4x2(x, xa + c0, xb + c0, w, 0, full, acc, 0, 4 * V);
        }
        int la = xa + c0 - CHUNK, lb = xb + c0 - CHUNK;   // x indices of the last chunk, whose scratch is still in w
        for (int r = 0; r < 4; r++) {
            out[at + r] = VectorMath.laneSum(FloatVector.fromArray(F, acc, r * V)) + tail(w, r, x, la, full, len);
            out[at + 4 + r] = VectorMath.laneSum(FloatVector.fromArray(F, acc, (4 + r) * V)) + tail(w, r, x, lb, full, len);
        }
    }

    /**
     * out[i·8 + r] = x_i·W_r for the m x rows (m even, at least 4) and the 8 W rows at
     * off + r·rowBytes. The pairs loop ({@link #dot4x2}) converts every W chunk again for each pair
     * of x rows (four times at m = 8); here each chunk of the 8 rows is converted once and every
     * pair runs over it, its accumulators (x row i, W row r at acc[(i·8 + r)·V ..]) parked in an
     * array between chunks: the same products in the same order, so the pairs loop's bits.
     */
    static void dotRows(float[] x, int m, int k, MemorySegment seg, long off, long rowBytes, float[] out) {
        float[] w = SCRATCH.get(), acc = GemmGemv.accumulators(m * 8 * V);
        int c0 = 0, len = 0, full = 0;
        for (; c0 < k; c0 += CHUNK) {
            len = Math.min(CHUNK, k - c0);
            full = len - len % V;
            convert4(seg, off + 2L * c0, rowBytes, w, 0, len);
            convert4(seg, off + 4 * rowBytes + 2L * c0, rowBytes, w, 4 * CHUNK, len);
            for (int i = 0; i < m; i += 2) {
                for (int h = 0; h < 8; h += 4) {
                    range4x2(x, i * k + c0, (i + 1) * k + c0, w, h * CHUNK, full, acc, (i * 8 + h) * V, ((i + 1) * 8 + h) * V);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            int last = i * k + c0 - CHUNK;   // x index of the last chunk, whose scratch is still in w
            for (int r = 0; r < 8; r++) out[i * 8 + r] = VectorMath.laneSum(FloatVector.fromArray(F, acc, (i * 8 + r) * V)) + tail(w, r, x, last, full, len);
        }
    }

    /**
     * x rows at xa and xb (offsets of this chunk) against the 4 converted W rows at w[wAt + r·CHUNK]
     * over [0, full): the accumulators of xa are loaded from acc[atA + r·V], of xb from acc[atB + r·V],
     * and stored back.
     */
    private static void range4x2(float[] x, int xa, int xb, float[] w, int wAt, int full, float[] acc, int atA, int atB) {
        FloatVector a0 = FloatVector.fromArray(F, acc, atA), a1 = FloatVector.fromArray(F, acc, atA + V);
        FloatVector a2 = FloatVector.fromArray(F, acc, atA + 2 * V), a3 = FloatVector.fromArray(F, acc, atA + 3 * V);
        FloatVector b0 = FloatVector.fromArray(F, acc, atB), b1 = FloatVector.fromArray(F, acc, atB + V);
        FloatVector b2 = FloatVector.fromArray(F, acc, atB + 2 * V), b3 = FloatVector.fromArray(F, acc, atB + 3 * V);
        // two vectors of k per pass: with one, C2 unrolled the loop and ran it at half the speed (see the class comment)
        for (int p = 0; p < full; p += 2 * V) {
            FloatVector xa0 = FloatVector.fromArray(F, x, xa + p), xb0 = FloatVector.fromArray(F, x, xb + p);
            FloatVector w0 = FloatVector.fromArray(F, w, wAt + p), w1 = FloatVector.fromArray(F, w, wAt + CHUNK + p);
            FloatVector w2 = FloatVector.fromArray(F, w, wAt + 2 * CHUNK + p), w3 = FloatVector.fromArray(F, w, wAt + 3 * CHUNK + p);
            a0 = w0.fma(xa0, a0);
            a1 = w1.fma(xa0, a1);
            a2 = w2.fma(xa0, a2);
            a3 = w3.fma(xa0, a3);
            b0 = w0.fma(xb0, b0);
            b1 = w1.fma(xb0, b1);
            b2 = w2.fma(xb0, b2);
            b3 = w3.fma(xb0, b3);
            int q = p + V;
            if (q < full) {
                xa0 = FloatVector.fromArray(F, x, xa + q);
                xb0 = FloatVector.fromArray(F, x, xb + q);
                w0 = FloatVector.fromArray(F, w, wAt + q);
                w1 = FloatVector.fromArray(F, w, wAt + CHUNK + q);
                w2 = FloatVector.fromArray(F, w, wAt + 2 * CHUNK + q);
                w3 = FloatVector.fromArray(F, w, wAt + 3 * CHUNK + q);
                a0 = w0.fma(xa0, a0);
                a1 = w1.fma(xa0, a1);
                a2 = w2.fma(xa0, a2);
                a3 = w3.fma(xa0, a3);
                b0 = w0.fma(xb0, b0);
                b1 = w1.fma(xb0, b1);
                b2 = w2.fma(xb0, b2);
                b3 = w3.fma(xb0, b3);
            }
        }
        a0.intoArray(acc, atA);
        a1.intoArray(acc, atA + V);
        a2.intoArray(acc, atA + 2 * V);
        a3.intoArray(acc, atA + 3 * V);
        b0.intoArray(acc, atB);
        b1.intoArray(acc, atB + V);
        b2.intoArray(acc, atB + 2 * V);
        b3.intoArray(acc, atB + 3 * V);
    }

    /**
     * Σ w[row·CHUNK + p]·x[xc + p] for p in [full, len): the elements of the last chunk past its
     * whole vectors (only the last chunk can have any: CHUNK is a multiple of V).
     */
    private static float tail(float[] w, int row, float[] x, int xc, int full, int len) {
        float sum = 0f;
        for (int p = full; p < len; p++) sum += w[row * CHUNK + p] * x[xc + p];
        return sum;
    }

    /** x·W for one W row at off, x at xi. */
    static float dot(float[] x, int xi, MemorySegment seg, long off, int k) {
        float[] w = SCRATCH.get();
        FloatVector s = FloatVector.zero(F);
        int c0 = 0, len = 0, full = 0;
        for (; c0 < k; c0 += CHUNK) {
            len = Math.min(CHUNK, k - c0);
            full = len - len % V;
            convert(seg, off + 2L * c0, w, 0, len);
            for (int p = 0; p < full; p += V) s = FloatVector.fromArray(F, w, p).fma(FloatVector.fromArray(F, x, xi + c0 + p), s);
        }
        return VectorMath.laneSum(s) + tail(w, 0, x, xi + c0 - CHUNK, full, len);
    }
}
