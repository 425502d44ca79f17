package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x·Wᵀ for a quantized W ({@link QuantFormat}) and few rows of x (decoding): W's codes are
 * streamed once and decoded in registers — a byte vector of V lanes sign-extended to V floats
 * (Q8_0), or split into its low and high nibbles first (Q4_0) — and each block's partial dot
 * product is scaled by the block's F16 scale into the row's accumulator. Four W rows at a time
 * share each x vector; each x row re-reads those four rows from L1.
 *
 * <p>The species are static finals (the Vector API compiles to vector instructions only for
 * species C2 sees as constants: held in an object's field, this kernel measured 1.4 tok/s instead
 * of tens). The preferred shape is the machine's: 16 float lanes on AVX-512, 8 on AVX2 — the test
 * suite runs the CPU kernel tests a second time under {@code -XX:MaxVectorSize=32} for the AVX2
 * shape. Shapes below 8 float lanes have no byte species of V lanes: {@link #usable()} is false
 * there and the backend dequantizes instead.
 */
final class QuantGemv {
    /** Largest number of x rows served here; more rows dequantize W once and take the GEMM. */
    static final int MAX_M = 8;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of codes per parallel chunk taken in turn by the workers. */
    private static final long CHUNK_BYTES = 128 << 10;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes with as many lanes as F (64- or 128-bit), or null for shapes without one. */
    private static final VectorSpecies<Byte> B = F.length() == 8 || F.length() == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;

    private QuantGemv() {}

    static boolean usable() { return B != null; }

    /** Float lanes of the shape in use. */
    static int lanes() { return F.length(); }

    /** out [m, n] = x [m, k] · Wᵀ; x and out contiguous F32 on the CPU, m ≤ MAX_M. */
    static void multiply(Tensor x, QuantizedWeight w, Tensor out) {
        int m = x.size(0), k = w.cols(), n = w.rows();
        float[] xs = x.toFloatArray();
        MemorySegment codes = CpuElementwise.seg(w.codes()), scales = CpuElementwise.seg(w.scales()), o = CpuElementwise.seg(out);
        long c0 = w.codes().offset(), s0 = w.scales().offset() * 2L, o0 = out.offset() * 4L;
        long rowBytes = w.format().rowBytes(k), scaleRow = 2L * (k / QuantFormat.BLOCK);
        boolean q8 = w.format() == QuantFormat.Q8_0;
        int groups = (n + 3) / 4;
        int chunk = (int) Math.max(1, CHUNK_BYTES / (4 * rowBytes));
        CpuThreads.parallelForChunks(groups, chunk, (start, end) -> {
            float[] dots = new float[4];
            for (int g = start; g < end; g++) {
                int r0 = 4 * g, rows = Math.min(4, n - r0);
                long c = c0 + r0 * rowBytes, s = s0 + r0 * scaleRow;
                for (int i = 0; i < m; i++) {
                    if (rows == 4) {
                        if (q8) q8Rows4(xs, i * k, codes, c, rowBytes, scales, s, scaleRow, k, dots);
                        else q4Rows4(xs, i * k, codes, c, rowBytes, scales, s, scaleRow, k, dots);
                    } else {
                        for (int r = 0; r < rows; r++) {
                            dots[r] = q8 ? q8Row(xs, i * k, codes, c + r * rowBytes, scales, s + r * scaleRow, k)
                                    : q4Row(xs, i * k, codes, c + r * rowBytes, scales, s + r * scaleRow, k);
                        }
                    }
                    for (int r = 0; r < rows; r++) o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r0 + r), dots[r]);
                }
            }
        });
    }

    private static FloatVector q8(MemorySegment seg, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float scale(MemorySegment seg, long off) { return Float.float16ToFloat(seg.get(I16_LE, off)); }

    /** dots[r] = x·W_r for the four Q8_0 rows at c + r·rowBytes (scales at s + r·scaleRow). */
    static void q8Rows4(float[] x, int xi, MemorySegment cs, long c, long rowBytes, MemorySegment ss, long s, long scaleRow, int k, float[] dots) {
        int v = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + p + e);
                long at = c + p + e;
                t0 = q8(cs, at).fma(xv, t0);
                t1 = q8(cs, at + rowBytes).fma(xv, t1);
                t2 = q8(cs, at + 2 * rowBytes).fma(xv, t2);
                t3 = q8(cs, at + 3 * rowBytes).fma(xv, t3);
            }
            long sb = s + 2L * blk;
            a0 = t0.fma(FloatVector.broadcast(F, scale(ss, sb)), a0);
            a1 = t1.fma(FloatVector.broadcast(F, scale(ss, sb + scaleRow)), a1);
            a2 = t2.fma(FloatVector.broadcast(F, scale(ss, sb + 2 * scaleRow)), a2);
            a3 = t3.fma(FloatVector.broadcast(F, scale(ss, sb + 3 * scaleRow)), a3);
        }
        dots[0] = a0.reduceLanes(VectorOperators.ADD);
        dots[1] = a1.reduceLanes(VectorOperators.ADD);
        dots[2] = a2.reduceLanes(VectorOperators.ADD);
        dots[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    static float q8Row(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) t = q8(cs, c + p + e).fma(FloatVector.fromArray(F, x, xi + p + e), t);
            a = t.fma(FloatVector.broadcast(F, scale(ss, s + 2L * blk)), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    /** Low nibbles − 8 of the V bytes (elements j..j+V of a block) as floats. */
    private static FloatVector lo(ByteVector v) {
        return (FloatVector) v.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    /** High nibbles − 8 (elements 16+j..16+j+V). */
    private static FloatVector hi(ByteVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static ByteVector bytes(MemorySegment seg, long off) { return ByteVector.fromMemorySegment(B, seg, off, ByteOrder.LITTLE_ENDIAN); }

    /** dots[r] = x·W_r for the four Q4_0 rows at c + r·rowBytes. */
    static void q4Rows4(float[] x, int xi, MemorySegment cs, long c, long rowBytes, MemorySegment ss, long s, long scaleRow, int k, float[] dots) {
        int v = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            long cb = c + p / 2;
            for (int j = 0; j < 16; j += v) {
                FloatVector xl = FloatVector.fromArray(F, x, xi + p + j), xh = FloatVector.fromArray(F, x, xi + p + 16 + j);
                ByteVector b0 = bytes(cs, cb + j), b1 = bytes(cs, cb + j + rowBytes), b2 = bytes(cs, cb + j + 2 * rowBytes), b3 = bytes(cs, cb + j + 3 * rowBytes);
                t0 = hi(b0).fma(xh, lo(b0).fma(xl, t0));
                t1 = hi(b1).fma(xh, lo(b1).fma(xl, t1));
                t2 = hi(b2).fma(xh, lo(b2).fma(xl, t2));
                t3 = hi(b3).fma(xh, lo(b3).fma(xl, t3));
            }
            long sb = s + 2L * blk;
            a0 = t0.fma(FloatVector.broadcast(F, scale(ss, sb)), a0);
            a1 = t1.fma(FloatVector.broadcast(F, scale(ss, sb + scaleRow)), a1);
            a2 = t2.fma(FloatVector.broadcast(F, scale(ss, sb + 2 * scaleRow)), a2);
            a3 = t3.fma(FloatVector.broadcast(F, scale(ss, sb + 3 * scaleRow)), a3);
        }
        dots[0] = a0.reduceLanes(VectorOperators.ADD);
        dots[1] = a1.reduceLanes(VectorOperators.ADD);
        dots[2] = a2.reduceLanes(VectorOperators.ADD);
        dots[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    static float q4Row(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                ByteVector bv = bytes(cs, c + p / 2 + j);
                t = hi(bv).fma(FloatVector.fromArray(F, x, xi + p + 16 + j), lo(bv).fma(FloatVector.fromArray(F, x, xi + p + j), t));
            }
            a = t.fma(FloatVector.broadcast(F, scale(ss, s + 2L * blk)), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }
}
