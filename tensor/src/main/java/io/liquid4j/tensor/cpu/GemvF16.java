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
 * Dot products of f32 x rows with F16 (IEEE binary16) W rows read in place, for {@link GemmGemv}:
 * the loops of {@link GemvBf16} (two 16-bit values per int lane, x paired up by
 * {@link GemvBf16#pairUp}) with an F16 decoder written out in each of them.
 *
 * <p><b>Decoding in registers.</b> An int lane holds an even element in its low half and the
 * next odd one in its high half. For the odd one an arithmetic shift right by 3 puts the f16
 * exponent and mantissa at an f32's low exponent and high mantissa bits and copies the sign
 * into bit 31; masking with {@link #SIGNED_MAGNITUDE} keeps those, and multiplying by 2^112
 * (the difference of the exponent biases) gives the value exactly, normal or subnormal, with
 * its sign. The even one is shifted left 16 first: 7 vector ops per 2V weights against BF16's 2.
 *
 * <p><b>Infinities and NaN.</b> The multiplication turns an f16 of all-ones exponent into a
 * finite value of magnitude ≥ 2^16 (no finite f16 reaches it); setting its exponent bits would
 * give the f32 infinity or NaN, but doing so per element (an abs, a compare and a masked or for
 * each half, {@link #dot}) made the 8-row loop so large that C2 at times left some of its
 * vector operations as calls (the C2 compile of that loop on the 2-vCPU Zen 4 VM, 2026-12-06:
 * 4 of 10 fresh JVMs decoded at 24–33 tok/s instead of 70–93, boxing vectors; with the constants
 * hoisted, 1 in 8 still did, at 58). The loops therefore decode finite values only and
 * keep a flag: per int lane, {@code (bits & EXPONENTS) + EXPONENT_CARRY} carries into bit 15 or
 * 31 exactly where a half has the all-ones exponent (no carry crosses halves), or-ed over the
 * loop (3 ops). A group of rows whose flag is set is computed again row by row by {@link #dot},
 * which decodes everything; for a row without such values that gives the same products in the
 * same order, so the bits do not depend on which loop or group took a row.
 *
 * <p>Before (to 2026-12-06) the W rows were converted a chunk at a time into an L1 scratch by
 * loops of {@link Float#float16ToFloat} that C2 vectorises to F16C's vcvtph2ps, and the dot
 * products ran on the scratch. On the 2-vCPU Zen 4 VM (a throwaway single-thread harness calling
 * {@link #dot8} on 8 adjacent rows of k = 768, each build in turn) that did 14.9–15.1 GB/s of f16
 * from L2 against 29.3–29.7 decoded in registers, and 5.4 against 8.0–9.0 from DRAM; in the 8-lane
 * shape 17.8–19.5 against 26.4–29.0 from L2, 5.4–5.9 against 7.6–8.2 from DRAM. Generic widening
 * (a short load per V through the shared dtype switch) had run at ~5 GB/s.
 *
 * <p>Two more things C2 needs here: the loads are written out (a helper returning the int vector
 * was past C2's node cutoff and stayed a call), and the 8-row loop parks its sums in an array for
 * another method to add up ({@link VectorMath#laneSum} takes a vector and was not inlined either).
 *
 * <p>The many-row loop ({@link #dotRows}, four or more x rows) decodes each chunk of 8 W rows
 * once into a scratch, in the paired order, and every pair of x rows runs over it: the same
 * products in the same order as the pairs loop, so the same bits. Each lane sums its products in
 * a fixed order, so results do not depend on the thread split. Elements past the last whole 2V
 * block stay in natural order in x and go through the scalar tail.
 */
final class GemvF16 {
    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);
    /** After the arithmetic shift: the sign (bit 31), and the f16 exponent and mantissa at bits 27..13. */
    private static final int SIGNED_MAGNITUDE = 0x8fffe000;
    /** 2^(127 − 15): moves the f16 exponent bias to the f32 one. */
    private static final float REBIAS = 0x1p112f;
    /** Magnitudes from here on were an f16 exponent of all ones (infinity or NaN). */
    private static final float REBIASED_INFINITY = 0x1p16f;
    private static final int EXPONENT_ONES = 0x7f800000;
    /** The exponent bits of both halves of an int lane, and what carries an all-ones one into bit 15 / 31. */
    private static final int EXPONENTS = 0x7c007c00, EXPONENT_CARRY = 0x04000400, CARRIES = 0x80008000;

    /** Elements of k per pass in {@link #dotRows} (a multiple of 2V): 8 converted W rows of it are 16 KiB, within L1. */
    static final int CHUNK = 512;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[8 * CHUNK]);

    private GemvF16() {}

    /**
     * This thread's array for a loop's flag: the loops store the flag here and test it with
     * {@link #special}, as ints, since a helper taking the vector was left a call in the 8-row loop
     * (past C2's node cutoff) and boxed it.
     */
    private static final ThreadLocal<int[]> FLAG = ThreadLocal.withInitial(() -> new int[V]);

    /** Whether a loop's flag, stored in f, saw an f16 infinity or NaN. */
    private static boolean special(int[] f) {
        for (int lane : f) if ((lane & CARRIES) != 0) return true;
        return false;
    }

    /** out[r] = x·W_r for the 8 W rows at off + r·rowBytes, x (paired up) at xi. */
    static void dot8(float[] x, int xi, MemorySegment seg, long off, long rowBytes, int k, float[] out) {
        IntVector magnitude = IntVector.broadcast(I, SIGNED_MAGNITUDE), exponents = IntVector.broadcast(I, EXPONENTS);
        IntVector carry = IntVector.broadcast(I, EXPONENT_CARRY), flag = IntVector.zero(I);
        FloatVector rebias = FloatVector.broadcast(F, REBIAS);
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        int full = GemvBf16.paired(k), p = 0;
        for (; p < full; p += 2 * V) {
            long o = off + p * 2L;
            FloatVector xe = FloatVector.fromArray(F, x, xi + p), xo = FloatVector.fromArray(F, x, xi + p + V);
            IntVector b0 = IntVector.fromMemorySegment(I, seg, o, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b0.and(exponents).add(carry));
            FloatVector e0 = b0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d0 = b0.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s0 = d0.fma(xo, e0.fma(xe, s0));
            IntVector b1 = IntVector.fromMemorySegment(I, seg, o + rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b1.and(exponents).add(carry));
            FloatVector e1 = b1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d1 = b1.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s1 = d1.fma(xo, e1.fma(xe, s1));
            IntVector b2 = IntVector.fromMemorySegment(I, seg, o + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b2.and(exponents).add(carry));
            FloatVector e2 = b2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d2 = b2.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s2 = d2.fma(xo, e2.fma(xe, s2));
            IntVector b3 = IntVector.fromMemorySegment(I, seg, o + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b3.and(exponents).add(carry));
            FloatVector e3 = b3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d3 = b3.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s3 = d3.fma(xo, e3.fma(xe, s3));
            IntVector b4 = IntVector.fromMemorySegment(I, seg, o + 4 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b4.and(exponents).add(carry));
            FloatVector e4 = b4.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d4 = b4.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s4 = d4.fma(xo, e4.fma(xe, s4));
            IntVector b5 = IntVector.fromMemorySegment(I, seg, o + 5 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b5.and(exponents).add(carry));
            FloatVector e5 = b5.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d5 = b5.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s5 = d5.fma(xo, e5.fma(xe, s5));
            IntVector b6 = IntVector.fromMemorySegment(I, seg, o + 6 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b6.and(exponents).add(carry));
            FloatVector e6 = b6.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d6 = b6.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s6 = d6.fma(xo, e6.fma(xe, s6));
            IntVector b7 = IntVector.fromMemorySegment(I, seg, o + 7 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b7.and(exponents).add(carry));
            FloatVector e7 = b7.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d7 = b7.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            s7 = d7.fma(xo, e7.fma(xe, s7));
        }
        // parked and summed in another method: laneSum (taking a vector) was not inlined here
        float[] acc = VectorMath.parking(8 * V);
        s0.intoArray(acc, 0);
        s1.intoArray(acc, V);
        s2.intoArray(acc, 2 * V);
        s3.intoArray(acc, 3 * V);
        s4.intoArray(acc, 4 * V);
        s5.intoArray(acc, 5 * V);
        s6.intoArray(acc, 6 * V);
        s7.intoArray(acc, 7 * V);
        int[] f = FLAG.get();
        flag.intoArray(f, 0);
        sums8(acc, special(f), x, xi, seg, off, rowBytes, k, p, out);
    }

    /**
     * out[r] = the lane sum of acc[r·V ..] + the tail of W row r at off + r·rowBytes from p on;
     * with an infinity or NaN among the rows, every row again by {@link #dot}.
     */
    private static void sums8(float[] acc, boolean special, float[] x, int xi, MemorySegment seg, long off, long rowBytes, int k, int p,
                              float[] out) {
        for (int r = 0; r < 8; r++) {
            long row = off + r * rowBytes;
            out[r] = special ? dot(x, xi, seg, row, k) : VectorMath.parkedSum(acc, r * V) + tail(x, xi, seg, row, k, p);
        }
    }

    /**
     * out[at + i·4 + r] = x_i·W_r for the x rows (paired up) at xa (i = 0) and xb (i = 1) and
     * the 4 W rows at off + r·rowBytes: each decoded W vector feeds both x rows.
     */
    static void dot4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int k, float[] out, int at) {
        float[] acc = VectorMath.parking(8 * V);   // range4x2 starts from zero and stores: no clearing needed
        int full = GemvBf16.paired(k);
        boolean special = range4x2(x, xa, xb, seg, off, rowBytes, full, acc);
        for (int r = 0; r < 4; r++) {
            long row = off + r * rowBytes;
            out[at + r] = special ? dot(x, xa, seg, row, k) : VectorMath.parkedSum(acc, r * V) + tail(x, xa, seg, row, k, full);
            out[at + 4 + r] = special ? dot(x, xb, seg, row, k) : VectorMath.parkedSum(acc, (4 + r) * V) + tail(x, xb, seg, row, k, full);
        }
    }

    /**
     * x rows (paired up) at xa and xb against the 4 W rows at off + r·rowBytes over [0, full),
     * decoding in registers: the sums of xa go to acc[r·V ..], of xb to acc[(4 + r)·V ..].
     * Returns whether the rows hold an infinity or NaN (whose sums are then wrong).
     */
    private static boolean range4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int full, float[] acc) {
        IntVector magnitude = IntVector.broadcast(I, SIGNED_MAGNITUDE), exponents = IntVector.broadcast(I, EXPONENTS);
        IntVector carry = IntVector.broadcast(I, EXPONENT_CARRY), flag = IntVector.zero(I);
        FloatVector rebias = FloatVector.broadcast(F, REBIAS);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int p = 0; p < full; p += 2 * V) {
            long o = off + p * 2L;
            FloatVector ae = FloatVector.fromArray(F, x, xa + p), ao = FloatVector.fromArray(F, x, xa + p + V);
            FloatVector be = FloatVector.fromArray(F, x, xb + p), bo = FloatVector.fromArray(F, x, xb + p + V);
            IntVector w0 = IntVector.fromMemorySegment(I, seg, o, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(w0.and(exponents).add(carry));
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d0 = w0.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            a0 = d0.fma(ao, e0.fma(ae, a0));
            b0 = d0.fma(bo, e0.fma(be, b0));
            IntVector w1 = IntVector.fromMemorySegment(I, seg, o + rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(w1.and(exponents).add(carry));
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d1 = w1.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            a1 = d1.fma(ao, e1.fma(ae, a1));
            b1 = d1.fma(bo, e1.fma(be, b1));
            IntVector w2 = IntVector.fromMemorySegment(I, seg, o + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(w2.and(exponents).add(carry));
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d2 = w2.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            a2 = d2.fma(ao, e2.fma(ae, a2));
            b2 = d2.fma(bo, e2.fma(be, b2));
            IntVector w3 = IntVector.fromMemorySegment(I, seg, o + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(w3.and(exponents).add(carry));
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d3 = w3.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            a3 = d3.fma(ao, e3.fma(ae, a3));
            b3 = d3.fma(bo, e3.fma(be, b3));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, V);
        a2.intoArray(acc, 2 * V);
        a3.intoArray(acc, 3 * V);
        b0.intoArray(acc, 4 * V);
        b1.intoArray(acc, 5 * V);
        b2.intoArray(acc, 6 * V);
        b3.intoArray(acc, 7 * V);
        int[] f = FLAG.get();
        flag.intoArray(f, 0);
        return special(f);
    }

    /**
     * out[i·8 + r] = x_i·W_r for the m x rows (paired up, m even and at least 4) and the 8 W rows
     * at off + r·rowBytes. The pairs loop ({@link #dot4x2}) would decode every W element again for
     * each pair of x rows (four times at m = 8); here each chunk of the 8 rows is decoded once into
     * the scratch, in the paired order, and every pair runs over it, its accumulators (x row i,
     * W row r at acc[(i·8 + r)·V ..]) parked in an array between chunks: the same products in the
     * same order, so the pairs loop's bits.
     */
    static void dotRows(float[] x, int m, int k, MemorySegment seg, long off, long rowBytes, float[] out) {
        float[] w = SCRATCH.get(), acc = GemmGemv.accumulators(m * 8 * V);
        int full = GemvBf16.paired(k);
        boolean special = false;
        for (int c0 = 0; c0 < full; c0 += CHUNK) {
            int len = Math.min(CHUNK, full - c0);
            special |= convert4(seg, off + 2L * c0, rowBytes, len, w, 0);
            special |= convert4(seg, off + 4 * rowBytes + 2L * c0, rowBytes, len, w, 4 * CHUNK);
            for (int i = 0; i < m; i += 2) {
                for (int h = 0; h < 8; h += 4) {
                    scratch4x2(x, i * k + c0, (i + 1) * k + c0, w, h * CHUNK, len, acc, (i * 8 + h) * V, ((i + 1) * 8 + h) * V);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < 8; r++) {
                long row = off + r * rowBytes;
                out[i * 8 + r] = special ? dot(x, i * k, seg, row, k)
                        : VectorMath.parkedSum(acc, (i * 8 + r) * V) + tail(x, i * k, seg, row, k, full);
            }
        }
    }

    /**
     * w[at + r·CHUNK + q ..] = the decoded [0, len) of the 4 W rows at off + r·rowBytes (len a
     * multiple of 2V), each block of 2V as its even elements then its odd ones: four rows per
     * loop keep four DRAM streams in flight. Returns whether they hold an infinity or NaN (which
     * the scratch then has wrong).
     */
    private static boolean convert4(MemorySegment seg, long off, long rowBytes, int len, float[] w, int at) {
        IntVector magnitude = IntVector.broadcast(I, SIGNED_MAGNITUDE), exponents = IntVector.broadcast(I, EXPONENTS);
        IntVector carry = IntVector.broadcast(I, EXPONENT_CARRY), flag = IntVector.zero(I);
        FloatVector rebias = FloatVector.broadcast(F, REBIAS);
        for (int q = 0; q < len; q += 2 * V) {
            long o = off + q * 2L;
            IntVector b0 = IntVector.fromMemorySegment(I, seg, o, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b0.and(exponents).add(carry));
            FloatVector e0 = b0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d0 = b0.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            e0.intoArray(w, at + q);
            d0.intoArray(w, at + q + V);
            IntVector b1 = IntVector.fromMemorySegment(I, seg, o + rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b1.and(exponents).add(carry));
            FloatVector e1 = b1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d1 = b1.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            e1.intoArray(w, at + 1 * CHUNK + q);
            d1.intoArray(w, at + 1 * CHUNK + q + V);
            IntVector b2 = IntVector.fromMemorySegment(I, seg, o + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b2.and(exponents).add(carry));
            FloatVector e2 = b2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d2 = b2.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            e2.intoArray(w, at + 2 * CHUNK + q);
            d2.intoArray(w, at + 2 * CHUNK + q + V);
            IntVector b3 = IntVector.fromMemorySegment(I, seg, o + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            flag = flag.or(b3.and(exponents).add(carry));
            FloatVector e3 = b3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d3 = b3.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            e3.intoArray(w, at + 3 * CHUNK + q);
            d3.intoArray(w, at + 3 * CHUNK + q + V);
        }
        int[] f = FLAG.get();
        flag.intoArray(f, 0);
        return special(f);
    }

    /**
     * x rows (paired up) at xa and xb (offsets of this chunk) against the 4 decoded W rows at
     * w[wAt + r·CHUNK] over [0, len): the accumulators of xa are loaded from acc[atA + r·V], of
     * xb from acc[atB + r·V], and stored back.
     */
    private static void scratch4x2(float[] x, int xa, int xb, float[] w, int wAt, int len, float[] acc, int atA, int atB) {
        FloatVector a0 = FloatVector.fromArray(F, acc, atA), a1 = FloatVector.fromArray(F, acc, atA + V);
        FloatVector a2 = FloatVector.fromArray(F, acc, atA + 2 * V), a3 = FloatVector.fromArray(F, acc, atA + 3 * V);
        FloatVector b0 = FloatVector.fromArray(F, acc, atB), b1 = FloatVector.fromArray(F, acc, atB + V);
        FloatVector b2 = FloatVector.fromArray(F, acc, atB + 2 * V), b3 = FloatVector.fromArray(F, acc, atB + 3 * V);
        for (int p = 0; p < len; p += 2 * V) {
            FloatVector ae = FloatVector.fromArray(F, x, xa + p), ao = FloatVector.fromArray(F, x, xa + p + V);
            FloatVector be = FloatVector.fromArray(F, x, xb + p), bo = FloatVector.fromArray(F, x, xb + p + V);
            FloatVector e0 = FloatVector.fromArray(F, w, wAt + p), d0 = FloatVector.fromArray(F, w, wAt + p + V);
            a0 = d0.fma(ao, e0.fma(ae, a0));
            b0 = d0.fma(bo, e0.fma(be, b0));
            FloatVector e1 = FloatVector.fromArray(F, w, wAt + CHUNK + p), d1 = FloatVector.fromArray(F, w, wAt + CHUNK + p + V);
            a1 = d1.fma(ao, e1.fma(ae, a1));
            b1 = d1.fma(bo, e1.fma(be, b1));
            FloatVector e2 = FloatVector.fromArray(F, w, wAt + 2 * CHUNK + p), d2 = FloatVector.fromArray(F, w, wAt + 2 * CHUNK + p + V);
            a2 = d2.fma(ao, e2.fma(ae, a2));
            b2 = d2.fma(bo, e2.fma(be, b2));
            FloatVector e3 = FloatVector.fromArray(F, w, wAt + 3 * CHUNK + p), d3 = FloatVector.fromArray(F, w, wAt + 3 * CHUNK + p + V);
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
     * x·W for one W row at off, x (paired up) at xi, decoding every f16 (infinities and NaN
     * included: their exponent bits set where the rebiased magnitude reaches 2^16). The rows
     * past the last group of 8, and every row of a group that holds such a value.
     */
    static float dot(float[] x, int xi, MemorySegment seg, long off, int k) {
        IntVector magnitude = IntVector.broadcast(I, SIGNED_MAGNITUDE), ones = IntVector.broadcast(I, EXPONENT_ONES);
        FloatVector rebias = FloatVector.broadcast(F, REBIAS), infinity = FloatVector.broadcast(F, REBIASED_INFINITY);
        FloatVector s = FloatVector.zero(F);
        int full = GemvBf16.paired(k), p = 0;
        for (; p < full; p += 2 * V) {
            IntVector b = IntVector.fromMemorySegment(I, seg, off + p * 2L, ByteOrder.LITTLE_ENDIAN);
            FloatVector e = b.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            FloatVector d = b.lanewise(VectorOperators.ASHR, 3).and(magnitude).reinterpretAsFloats().mul(rebias);
            e = e.reinterpretAsInts().lanewise(VectorOperators.OR, ones, e.abs().compare(VectorOperators.GE, infinity).cast(I)).reinterpretAsFloats();
            d = d.reinterpretAsInts().lanewise(VectorOperators.OR, ones, d.abs().compare(VectorOperators.GE, infinity).cast(I)).reinterpretAsFloats();
            s = d.fma(FloatVector.fromArray(F, x, xi + p + V), e.fma(FloatVector.fromArray(F, x, xi + p), s));
        }
        return VectorMath.laneSum(s) + tail(x, xi, seg, off, k, p);
    }

    /** Σ x[xi+p]·W[p] over the elements from p on that the vector loops left (natural order in x). */
    private static float tail(float[] x, int xi, MemorySegment seg, long off, int k, int p) {
        float sum = 0f;
        for (; p < k; p++) sum += x[xi + p] * Float.float16ToFloat(seg.get(GemmDecode.I16_LE, off + p * 2L));
        return sum;
    }
}
