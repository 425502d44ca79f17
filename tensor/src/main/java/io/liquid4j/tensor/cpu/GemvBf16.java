package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of f32 x rows with BF16 W rows read in place, for {@link GemmGemv}: the same
 * loops as its generic ones with a BF16 decoder of their own. A loop shared by several decoders
 * merges their vectors at a phi and C2's box elimination gives up there; in a BF16 model (whose
 * attention matmuls are F32) the shared loop fell to ~4 GB/s of W, and the m = 2..128 prefill
 * path ran 2.5x slower in some JVM runs than in others.
 *
 * <p><b>Two bf16 per int lane.</b> One int vector load holds 2V bf16 of a W row; lane j has
 * element 2j in its low half and 2j + 1 in its high half, so {@code bits << 16} is the even
 * elements as floats and {@code bits & 0xffff0000} the odd ones: two ALU ops per 2V weights,
 * where widening (a short load, a widening shuffle and a shift per V) took three per V. x is
 * handed over in the matching order ({@link #pairUp}): in each block of 2V elements its even
 * elements, then its odd ones. Measured on Zen 3 (AVX2, one thread, W from L2/L3, k = 768):
 * 25-30 GB/s of W against 17-19 widening, which is what counts where the BF16 GEMV is
 * compute-bound (from DRAM on that VM the two measured alike; a decode step ran 1.07-1.49×
 * faster). The decode must stay written out in each loop: with it in a helper
 * taking and returning vectors (tried first, and on 2026-12-03 before that) C2 boxed them and
 * the loop ran at 3-5 GB/s.
 *
 * <p>Elements past the last whole 2V block stay in natural order in x and go through the scalar
 * tail. Each lane sums its products in a fixed order, so results do not depend on the thread split.
 */
final class GemvBf16 {
    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);
    private static final int ODD = 0xffff0000;

    private GemvBf16() {}

    /** Elements of a k-long row that the vector loops cover: whole blocks of 2V. */
    static int paired(int k) {
        return k - k % (2 * V);
    }

    /**
     * Puts the m rows of k floats in x, in place, in the order the loops read them: each block of
     * 2V elements [p, p + 2V) becomes its even elements followed by its odd ones; the rest of a row
     * stays as it is. Returns x.
     */
    static float[] pairUp(float[] x, int m, int k) {
        int full = paired(k);
        float[] block = new float[2 * V];
        for (int i = 0; i < m; i++) {
            for (int p = i * k, end = p + full; p < end; p += 2 * V) {
                System.arraycopy(x, p, block, 0, 2 * V);
                for (int j = 0; j < V; j++) {
                    x[p + j] = block[2 * j];
                    x[p + V + j] = block[2 * j + 1];
                }
            }
        }
        return x;
    }

    private static IntVector bits(MemorySegment seg, long off) {
        return IntVector.fromMemorySegment(I, seg, off, ByteOrder.LITTLE_ENDIAN);
    }

    private static float element(MemorySegment seg, long off) {
        return Float.intBitsToFloat(seg.get(GemmDecode.I16_LE, off) << 16);
    }

    /** out[r] = x·W_r for the 8 W rows at off + r·rowBytes, x (paired up) at xi. */
    static void dot8(float[] x, int xi, MemorySegment seg, long off, long rowBytes, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        int full = paired(k), p = 0;
        for (; p < full; p += 2 * V) {
            long o = off + p * 2L;
            FloatVector xe = FloatVector.fromArray(F, x, xi + p), xo = FloatVector.fromArray(F, x, xi + p + V);
            IntVector b0 = bits(seg, o), b1 = bits(seg, o + rowBytes), b2 = bits(seg, o + 2 * rowBytes), b3 = bits(seg, o + 3 * rowBytes);
            s0 = b0.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s0));
            s1 = b1.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s1));
            s2 = b2.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s2));
            s3 = b3.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s3));
            IntVector b4 = bits(seg, o + 4 * rowBytes), b5 = bits(seg, o + 5 * rowBytes), b6 = bits(seg, o + 6 * rowBytes), b7 = bits(seg, o + 7 * rowBytes);
            s4 = b4.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s4));
            s5 = b5.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s5));
            s6 = b6.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s6));
            s7 = b7.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(xo, b7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, s7));
        }
        float[] park = VectorMath.parking(8 * V);   // summed outside this loop's method, see VectorMath.parking
        s0.intoArray(park, 0);
        s1.intoArray(park, V);
        s2.intoArray(park, 2 * V);
        s3.intoArray(park, 3 * V);
        s4.intoArray(park, 4 * V);
        s5.intoArray(park, 5 * V);
        s6.intoArray(park, 6 * V);
        s7.intoArray(park, 7 * V);
        VectorMath.laneSums(park, 8, out, 0);
        for (int r = 0; r < 8; r++) out[r] += tail(x, xi, seg, off + r * rowBytes, k, p);
    }

    /**
     * out[at + i·4 + r] = x_i·W_r for the x rows (paired up) at xa (i = 0) and xb (i = 1) and
     * the 4 W rows at off + r·rowBytes: each decoded W vector feeds both x rows.
     */
    static void dot4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int k, float[] out, int at) {
        float[] acc = GemmGemv.accumulators(8 * V);
        int full = paired(k);
        range4x2(x, xa, xb, seg, off, rowBytes, 0, full, acc, 0, 4 * V);
        for (int r = 0; r < 4; r++) {
            out[at + r] = VectorMath.parkedSum(acc, r * V) + tail(x, xa, seg, off + r * rowBytes, k, full);
            out[at + 4 + r] = VectorMath.parkedSum(acc, (4 + r) * V) + tail(x, xb, seg, off + r * rowBytes, k, full);
        }
    }

    /**
     * Whether a pair of x rows takes all 8 W rows of a group in one loop ({@link #range8x2}: 16
     * accumulators, which only 512-bit vectors' 32 registers hold) rather than as two sets of four
     * ({@link #range4x2}) one after the other: eight W streams from memory at once instead of four,
     * and each pair of x vectors loaded once per 8 W rows instead of 4 — the same products in the
     * same order either way.
     */
    static final boolean EIGHT_ROWS = V >= 16;

    /**
     * What two {@link #dot4x2} calls (W rows at off and at off + 4·rowBytes, results at 0 and 8)
     * give, in one pass over the 8 rows: out[r], out[4 + r] = x_a·W_r, x_b·W_r and out[8 + r],
     * out[12 + r] = x_a·W_{4+r}, x_b·W_{4+r}, r < 4. Only where {@link #EIGHT_ROWS}.
     */
    static void dot8x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int k, float[] out) {
        float[] acc = GemmGemv.accumulators(16 * V);
        int full = paired(k);
        range8x2(x, xa, xb, seg, off, rowBytes, 0, full, acc, 0, 8 * V);
        for (int r = 0; r < 8; r++) {
            int at = r < 4 ? r : 4 + r;
            out[at] = VectorMath.parkedSum(acc, r * V) + tail(x, xa, seg, off + r * rowBytes, k, full);
            out[at + 4] = VectorMath.parkedSum(acc, (8 + r) * V) + tail(x, xb, seg, off + r * rowBytes, k, full);
        }
    }

    /**
     * Elements of k per pass in {@link #dotRows}: 8 W rows of it are 8 KiB of bf16 and a pair of
     * x rows' slices 4 KiB of f32, so every pair after the first reads the group from L1.
     */
    static final int CHUNK = 512;

    /**
     * out[i·8 + r] = x_i·W_r for the m x rows (paired up, m even and at least 4) and the 8 W rows
     * at off + r·rowBytes. The pairs loop ({@link #dot4x2}) reads all of k for one pair before
     * the next, so with k of a few thousand every pair after the first re-read the 8 rows from L2
     * and four or more x rows were compute- and L2-bound (m = 8 took 3× the time of m = 1 at
     * 4096 × 4096). Here k is taken {@link #CHUNK} elements at a time for every pair, the
     * accumulators (x row i, W row r at acc[(i·8 + r)·V ..]) parked in a scratch array between
     * chunks: the same products added in the same order, so the bits equal the pairs loop's.
     */
    static void dotRows(float[] x, int m, int k, MemorySegment seg, long off, long rowBytes, float[] out) {
        int full = paired(k);
        float[] acc = GemmGemv.accumulators(m * 8 * V);
        for (int c0 = 0; c0 < full; c0 += CHUNK) {
            int c1 = Math.min(full, c0 + CHUNK);
            for (int i = 0; i < m; i += 2) {
                if (EIGHT_ROWS) {
                    range8x2(x, i * k, (i + 1) * k, seg, off, rowBytes, c0, c1, acc, i * 8 * V, (i + 1) * 8 * V);
                    continue;
                }
                for (int h = 0; h < 8; h += 4) {
                    range4x2(x, i * k, (i + 1) * k, seg, off + h * rowBytes, rowBytes, c0, c1, acc, (i * 8 + h) * V, ((i + 1) * 8 + h) * V);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < 8; r++) {
                out[i * 8 + r] = VectorMath.parkedSum(acc, (i * 8 + r) * V) + tail(x, i * k, seg, off + r * rowBytes, k, full);
            }
        }
    }

    /**
     * The pairs loop over [p0, p1) (multiples of 2V): x rows at xa and xb against the 4 W rows at
     * off + r·rowBytes; the accumulators of row xa are loaded from acc[atA + r·V] and of xb from
     * acc[atB + r·V], and stored back.
     */
    private static void range4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int p0, int p1, float[] acc,
                                 int atA, int atB) {
        FloatVector a0 = FloatVector.fromArray(F, acc, atA), a1 = FloatVector.fromArray(F, acc, atA + V);
        FloatVector a2 = FloatVector.fromArray(F, acc, atA + 2 * V), a3 = FloatVector.fromArray(F, acc, atA + 3 * V);
        FloatVector b0 = FloatVector.fromArray(F, acc, atB), b1 = FloatVector.fromArray(F, acc, atB + V);
        FloatVector b2 = FloatVector.fromArray(F, acc, atB + 2 * V), b3 = FloatVector.fromArray(F, acc, atB + 3 * V);
        for (int p = p0; p < p1; p += 2 * V) {
            long o = off + p * 2L;
            FloatVector ae = FloatVector.fromArray(F, x, xa + p), ao = FloatVector.fromArray(F, x, xa + p + V);
            FloatVector be = FloatVector.fromArray(F, x, xb + p), bo = FloatVector.fromArray(F, x, xb + p + V);
            IntVector w0 = bits(seg, o);
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d0 = w0.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a0 = d0.fma(ao, e0.fma(ae, a0));
            b0 = d0.fma(bo, e0.fma(be, b0));
            IntVector w1 = bits(seg, o + rowBytes);
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d1 = w1.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a1 = d1.fma(ao, e1.fma(ae, a1));
            b1 = d1.fma(bo, e1.fma(be, b1));
            IntVector w2 = bits(seg, o + 2 * rowBytes);
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d2 = w2.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a2 = d2.fma(ao, e2.fma(ae, a2));
            b2 = d2.fma(bo, e2.fma(be, b2));
            IntVector w3 = bits(seg, o + 3 * rowBytes);
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d3 = w3.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a3 = d3.fma(ao, e3.fma(ae, a3));
            b3 = d3.fma(bo, e3.fma(be, b3));
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
     * {@link #range4x2} over 8 W rows at once (16 accumulators; {@link #EIGHT_ROWS} only): each row's
     * accumulators updated by the same operations in the same order, so the same bits. The decode
     * is written out per row, as in the other loops (a helper taking vectors is what C2 boxed).
     */
    private static void range8x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int p0, int p1, float[] acc,
                                 int atA, int atB) {
        FloatVector a0 = FloatVector.fromArray(F, acc, atA), a1 = FloatVector.fromArray(F, acc, atA + V);
        FloatVector a2 = FloatVector.fromArray(F, acc, atA + 2 * V), a3 = FloatVector.fromArray(F, acc, atA + 3 * V);
        FloatVector a4 = FloatVector.fromArray(F, acc, atA + 4 * V), a5 = FloatVector.fromArray(F, acc, atA + 5 * V);
        FloatVector a6 = FloatVector.fromArray(F, acc, atA + 6 * V), a7 = FloatVector.fromArray(F, acc, atA + 7 * V);
        FloatVector b0 = FloatVector.fromArray(F, acc, atB), b1 = FloatVector.fromArray(F, acc, atB + V);
        FloatVector b2 = FloatVector.fromArray(F, acc, atB + 2 * V), b3 = FloatVector.fromArray(F, acc, atB + 3 * V);
        FloatVector b4 = FloatVector.fromArray(F, acc, atB + 4 * V), b5 = FloatVector.fromArray(F, acc, atB + 5 * V);
        FloatVector b6 = FloatVector.fromArray(F, acc, atB + 6 * V), b7 = FloatVector.fromArray(F, acc, atB + 7 * V);
        for (int p = p0; p < p1; p += 2 * V) {
            long o = off + p * 2L;
            FloatVector ae = FloatVector.fromArray(F, x, xa + p), ao = FloatVector.fromArray(F, x, xa + p + V);
            FloatVector be = FloatVector.fromArray(F, x, xb + p), bo = FloatVector.fromArray(F, x, xb + p + V);
            IntVector w0 = IntVector.fromMemorySegment(I, seg, o, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d0 = w0.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a0 = d0.fma(ao, e0.fma(ae, a0));
            b0 = d0.fma(bo, e0.fma(be, b0));
            IntVector w1 = IntVector.fromMemorySegment(I, seg, o + rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d1 = w1.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a1 = d1.fma(ao, e1.fma(ae, a1));
            b1 = d1.fma(bo, e1.fma(be, b1));
            IntVector w2 = IntVector.fromMemorySegment(I, seg, o + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d2 = w2.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a2 = d2.fma(ao, e2.fma(ae, a2));
            b2 = d2.fma(bo, e2.fma(be, b2));
            IntVector w3 = IntVector.fromMemorySegment(I, seg, o + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d3 = w3.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a3 = d3.fma(ao, e3.fma(ae, a3));
            b3 = d3.fma(bo, e3.fma(be, b3));
            IntVector w4 = IntVector.fromMemorySegment(I, seg, o + 4 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e4 = w4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d4 = w4.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a4 = d4.fma(ao, e4.fma(ae, a4));
            b4 = d4.fma(bo, e4.fma(be, b4));
            IntVector w5 = IntVector.fromMemorySegment(I, seg, o + 5 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e5 = w5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d5 = w5.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a5 = d5.fma(ao, e5.fma(ae, a5));
            b5 = d5.fma(bo, e5.fma(be, b5));
            IntVector w6 = IntVector.fromMemorySegment(I, seg, o + 6 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e6 = w6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d6 = w6.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a6 = d6.fma(ao, e6.fma(ae, a6));
            b6 = d6.fma(bo, e6.fma(be, b6));
            IntVector w7 = IntVector.fromMemorySegment(I, seg, o + 7 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e7 = w7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), d7 = w7.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats();
            a7 = d7.fma(ao, e7.fma(ae, a7));
            b7 = d7.fma(bo, e7.fma(be, b7));
        }
        a0.intoArray(acc, atA);
        a1.intoArray(acc, atA + V);
        a2.intoArray(acc, atA + 2 * V);
        a3.intoArray(acc, atA + 3 * V);
        a4.intoArray(acc, atA + 4 * V);
        a5.intoArray(acc, atA + 5 * V);
        a6.intoArray(acc, atA + 6 * V);
        a7.intoArray(acc, atA + 7 * V);
        b0.intoArray(acc, atB);
        b1.intoArray(acc, atB + V);
        b2.intoArray(acc, atB + 2 * V);
        b3.intoArray(acc, atB + 3 * V);
        b4.intoArray(acc, atB + 4 * V);
        b5.intoArray(acc, atB + 5 * V);
        b6.intoArray(acc, atB + 6 * V);
        b7.intoArray(acc, atB + 7 * V);
    }

    /** x·W for one W row at off, x (paired up) at xi. */
    static float dot(float[] x, int xi, MemorySegment seg, long off, int k) {
        FloatVector s = FloatVector.zero(F);
        int full = paired(k), p = 0;
        for (; p < full; p += 2 * V) {
            IntVector b = bits(seg, off + p * 2L);
            s = b.lanewise(VectorOperators.AND, ODD).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + p + V),
                    b.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + p), s));
        }
        return VectorMath.laneSum(s) + tail(x, xi, seg, off, k, p);
    }

    /** Σ x[xi+p]·W[p] over the elements from p on that the vector loop left (natural order in x). */
    private static float tail(float[] x, int xi, MemorySegment seg, long off, int k, int p) {
        float sum = 0f;
        for (; p < k; p++) sum += x[xi + p] * element(seg, off + p * 2L);
        return sum;
    }
}
