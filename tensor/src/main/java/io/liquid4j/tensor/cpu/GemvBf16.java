package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of f32 x rows with BF16 W rows read in place, for {@link GemmGemv}: the same
 * loops as its generic ones with the BF16 decoder called directly. A loop shared by several
 * decoders merges their vectors at a phi and C2's box elimination gives up there; in a BF16
 * model (whose attention matmuls are F32) the shared loop fell to ~4 GB/s of W, and the
 * m = 2..128 prefill path ran 2.5x slower in some JVM runs than in others.
 *
 * <p>(Tried and dropped: decoding two bf16 per int lane, even = bits << 16 and odd =
 * bits & 0xffff0000, to halve the decode work. On Temurin 25 C2 leaves the reinterpretation of
 * the masked lanes to its Java fallback: 5-15 GB/s against 45-48 GB/s for widening, L3-resident W.)
 */
final class GemvBf16 {
    private GemvBf16() {}

    private static FloatVector w(MemorySegment seg, long off) {
        return GemmDecode.bf16(seg, off);
    }

    private static float element(MemorySegment seg, long off) {
        return Float.intBitsToFloat(seg.get(GemmDecode.I16_LE, off) << 16);
    }

    /** out[r] = x·W_r for the 8 W rows at off + r·rowBytes, x at xi. */
    static void dot8(float[] x, int xi, MemorySegment seg, long off, long rowBytes, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * 2L;
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = w(seg, o).fma(xv, s0);
            s1 = w(seg, o + rowBytes).fma(xv, s1);
            s2 = w(seg, o + 2 * rowBytes).fma(xv, s2);
            s3 = w(seg, o + 3 * rowBytes).fma(xv, s3);
            s4 = w(seg, o + 4 * rowBytes).fma(xv, s4);
            s5 = w(seg, o + 5 * rowBytes).fma(xv, s5);
            s6 = w(seg, o + 6 * rowBytes).fma(xv, s6);
            s7 = w(seg, o + 7 * rowBytes).fma(xv, s7);
        }
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
        out[4] = s4.reduceLanes(VectorOperators.ADD);
        out[5] = s5.reduceLanes(VectorOperators.ADD);
        out[6] = s6.reduceLanes(VectorOperators.ADD);
        out[7] = s7.reduceLanes(VectorOperators.ADD);
        for (int r = 0; r < 8; r++) out[r] += tail(x, xi, seg, off + r * rowBytes, k, p);
    }

    /**
     * out[at + i·4 + r] = x_i·W_r for the x rows at xa (i = 0) and xb (i = 1) and the 4 W rows
     * at off + r·rowBytes: each decoded W vector feeds both x rows.
     */
    static void dot4x2(float[] x, int xa, int xb, MemorySegment seg, long off, long rowBytes, int k, float[] out, int at) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * 2L;
            FloatVector xav = FloatVector.fromArray(F, x, xa + p), xbv = FloatVector.fromArray(F, x, xb + p);
            FloatVector w0 = w(seg, o);
            a0 = w0.fma(xav, a0);
            b0 = w0.fma(xbv, b0);
            FloatVector w1 = w(seg, o + rowBytes);
            a1 = w1.fma(xav, a1);
            b1 = w1.fma(xbv, b1);
            FloatVector w2 = w(seg, o + 2 * rowBytes);
            a2 = w2.fma(xav, a2);
            b2 = w2.fma(xbv, b2);
            FloatVector w3 = w(seg, o + 3 * rowBytes);
            a3 = w3.fma(xav, a3);
            b3 = w3.fma(xbv, b3);
        }
        out[at] = a0.reduceLanes(VectorOperators.ADD) + tail(x, xa, seg, off, k, p);
        out[at + 1] = a1.reduceLanes(VectorOperators.ADD) + tail(x, xa, seg, off + rowBytes, k, p);
        out[at + 2] = a2.reduceLanes(VectorOperators.ADD) + tail(x, xa, seg, off + 2 * rowBytes, k, p);
        out[at + 3] = a3.reduceLanes(VectorOperators.ADD) + tail(x, xa, seg, off + 3 * rowBytes, k, p);
        out[at + 4] = b0.reduceLanes(VectorOperators.ADD) + tail(x, xb, seg, off, k, p);
        out[at + 5] = b1.reduceLanes(VectorOperators.ADD) + tail(x, xb, seg, off + rowBytes, k, p);
        out[at + 6] = b2.reduceLanes(VectorOperators.ADD) + tail(x, xb, seg, off + 2 * rowBytes, k, p);
        out[at + 7] = b3.reduceLanes(VectorOperators.ADD) + tail(x, xb, seg, off + 3 * rowBytes, k, p);
    }

    /** x·W for one W row at off. */
    static float dot(float[] x, int xi, MemorySegment seg, long off, int k) {
        FloatVector s = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) s = w(seg, off + p * 2L).fma(FloatVector.fromArray(F, x, xi + p), s);
        return s.reduceLanes(VectorOperators.ADD) + tail(x, xi, seg, off, k, p);
    }

    /** Σ x[xi+p]·W[p] over the elements from p on that the vector loop left. */
    private static float tail(float[] x, int xi, MemorySegment seg, long off, int k, int p) {
        float sum = 0f;
        for (; p < k; p++) sum += x[xi + p] * element(seg, off + p * 2L);
        return sum;
    }
}
