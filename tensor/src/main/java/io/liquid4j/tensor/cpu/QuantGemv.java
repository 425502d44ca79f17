package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x·Wᵀ for a quantized W ({@link QuantFormat}) and few rows of x (decoding): W's codes are
 * streamed once and decoded in registers — a byte vector of V lanes sign-extended to V floats
 * (Q8_0; with 8 float lanes an int vector of four codes per lane, see {@link #Q8_LANES}), or
 * split into its low and high nibbles first (Q4_0) — and each block's partial dot
 * product is scaled by the block's F16 scale into the row's accumulator. One W row at a time, each
 * x row re-reading it from L1: measured against four rows sharing each x vector (k 4096, n 16384,
 * W from DRAM, 2-vCPU AVX-512 VM) Q8_0 2.06 vs 2.66 ms, Q4_0 1.76 vs 11.4 ms — the four-row
 * nibble loop was too large for C2 to inline its vector operations.
 *
 * <p>The species are static finals (the Vector API compiles to vector instructions only for
 * species C2 sees as constants: held in an object's field, this kernel measured 1.4 tok/s instead
 * of tens). The preferred shape is the machine's: 16 float lanes on AVX-512, 8 on AVX2 — the test
 * suite runs the CPU kernel tests a second time under {@code -XX:MaxVectorSize=32} for the AVX2
 * shape. Shapes below 8 float lanes have no byte species of V lanes: {@link #usable()} is false
 * there and the backend dequantizes instead.
 */
final class QuantGemv {
    /** Largest number of x rows served here (x stays in L2); more rows dequantize W once and take the GEMM. */
    static final int MAX_M = 64;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of codes per parallel chunk taken in turn by the workers. */
    private static final long CHUNK_BYTES = 128 << 10;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes with as many lanes as F (64- or 128-bit), or null for shapes without one. */
    private static final VectorSpecies<Byte> B = F.length() == 8 || F.length() == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;
    /** Ints with F's shape: Q4_0's nibbles are split in 32-bit lanes (x86 has no byte shifts; byte lanes measured no faster). */
    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);

    /**
     * Whether Q8_0 rows are read as int lanes of four codes (8 float lanes: 4 × 8 = one 32-code
     * block per int vector): each code is sign-extended by two shifts inside its int lane, where
     * a byte load of V lanes widened to V floats per quarter block was slower (a throwaway
     * single-thread test on Zen 3 from L3: ~1.3-1.5×). x is reordered to match ({@link #quads}).
     * With 16 lanes an int vector would span two blocks of different scales, so AVX-512 keeps
     * the byte loads.
     */
    private static final boolean Q8_LANES = F.length() == 8;

    private QuantGemv() {}

    static boolean usable() { return B != null; }

    /** Float lanes of the shape in use. */
    static int lanes() { return F.length(); }

    /**
     * out [m, n] = x [m, k] · Wᵀ; x and out contiguous F32 on the CPU, m ≤ MAX_M. Up to 8 x rows:
     * each W row's codes are decoded straight into the dot products, one decoded vector feeding a
     * pair of x rows (the W row is re-read from L1 per pair). More rows: each W row is decoded once
     * into an L1-resident float row, then dotted with every x row.
     */
    static void multiply(Tensor x, QuantizedWeight w, Tensor out) {
        int m = x.size(0), k = w.cols(), n = w.rows();
        float[] xs = x.toFloatArray();
        MemorySegment codes = CpuElementwise.seg(w.codes()), scales = CpuElementwise.seg(w.scales()), o = CpuElementwise.seg(out);
        long c0 = w.codes().offset(), s0 = w.scales().offset() * 2L, o0 = out.offset() * 4L;
        long rowBytes = w.format().rowBytes(k), scaleRow = 2L * (k / QuantFormat.BLOCK);
        boolean q8 = w.format() == QuantFormat.Q8_0;
        // the m ≤ 8 Q8_0 loops read x in int-lane order (xs is this call's own copy, reordered in
        // place); the others (Q4_0, m > 8) in natural order
        float[] xq = q8 && Q8_LANES && m <= 8 ? quads(xs, m, k) : xs;
        int chunk = (int) Math.max(1, CHUNK_BYTES / rowBytes);
        CpuThreads.parallelForChunks(n, chunk, (start, end) -> {
            float[] row = m > 8 ? new float[k] : null, two = new float[2];
            for (int r = start; r < end; r++) {
                long c = c0 + r * rowBytes, s = s0 + r * scaleRow;
                if (m > 8) {
                    decodeRow(codes, c, scales, s, k, q8, row, 0);
                    for (int i = 0; i < m; i++) o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r), dot(row, xs, i * k, k));
                    continue;
                }
                int i = 0;
                for (; i + 2 <= m; i += 2) {   // pairs of x rows share each decoded vector (CFG decodes 2 rows)
                    if (q8 && Q8_LANES) q8LanesRow2(xq, i * k, (i + 1) * k, codes, c, scales, s, k, two);
                    else if (q8) q8Row2(xs, i * k, (i + 1) * k, codes, c, scales, s, k, two);
                    else q4Row2(xs, i * k, (i + 1) * k, codes, c, scales, s, k, two);
                    o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r), two[0]);
                    o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) (i + 1) * n + r), two[1]);
                }
                if (i < m) {
                    float dot = q8 && Q8_LANES ? q8LanesRow(xq, i * k, codes, c, scales, s, k)
                            : q8 ? q8Row(xs, i * k, codes, c, scales, s, k) : q4Row(xs, i * k, codes, c, scales, s, k);
                    o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r), dot);
                }
            }
        });
    }

    /** W as F32 into out [n, k] (contiguous, on the CPU), rows decoded in parallel: the prefill path's weight. */
    static void dequantize(QuantizedWeight w, Tensor out) {
        int k = w.cols(), n = w.rows();
        MemorySegment codes = CpuElementwise.seg(w.codes()), scales = CpuElementwise.seg(w.scales()), o = CpuElementwise.seg(out);
        long c0 = w.codes().offset(), s0 = w.scales().offset() * 2L, o0 = out.offset() * 4L;
        long rowBytes = w.format().rowBytes(k), scaleRow = 2L * (k / QuantFormat.BLOCK);
        boolean q8 = w.format() == QuantFormat.Q8_0;
        CpuThreads.parallelForChunks(n, (int) Math.max(1, CHUNK_BYTES / rowBytes), (start, end) -> {
            float[] row = new float[k];
            for (int r = start; r < end; r++) {
                decodeRow(codes, c0 + r * rowBytes, scales, s0 + r * scaleRow, k, q8, row, 0);
                MemorySegment.copy(row, 0, o, ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * r * k, k);
            }
        });
    }

    /** The k weights of one row, d·q per element, into out[at, at + k). */
    static void decodeRow(MemorySegment cs, long c, MemorySegment ss, long s, int k, boolean q8, float[] out, int at) {
        int v = F.length();
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector d = FloatVector.broadcast(F, scale(ss, s + 2L * blk));
            if (q8) {
                for (int e = 0; e < QuantFormat.BLOCK; e += v) q8(cs, c + p + e).mul(d).intoArray(out, at + p + e);
            } else {
                for (int j = 0; j < 16; j += v) {
                    IntVector bv = ints(bytes(cs, c + p / 2 + j));
                    lo(bv).mul(d).intoArray(out, at + p + j);
                    hi(bv).mul(d).intoArray(out, at + p + 16 + j);
                }
            }
        }
    }

    /** Σ w[p]·x[xi + p] over k (a multiple of 32, so of V). */
    private static float dot(float[] w, float[] x, int xi, int k) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        int v = F.length();
        for (int p = 0; p < k; p += 2 * v) {
            a = FloatVector.fromArray(F, w, p).fma(FloatVector.fromArray(F, x, xi + p), a);
            b = FloatVector.fromArray(F, w, p + v).fma(FloatVector.fromArray(F, x, xi + p + v), b);
        }
        return a.add(b).reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector q8(MemorySegment seg, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float scale(MemorySegment seg, long off) { return Float.float16ToFloat(seg.get(I16_LE, off)); }

    /** out[0], out[1] = x_a·W, x_b·W for the Q8_0 row at c: each decoded vector feeds both x rows. */
    static void q8Row2(float[] x, int xa, int xb, MemorySegment cs, long c, MemorySegment ss, long s, int k, float[] out) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector ta = FloatVector.zero(F), tb = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) {
                FloatVector w = q8(cs, c + p + e);
                ta = w.fma(FloatVector.fromArray(F, x, xa + p + e), ta);
                tb = w.fma(FloatVector.fromArray(F, x, xb + p + e), tb);
            }
            FloatVector d = FloatVector.broadcast(F, scale(ss, s + 2L * blk));
            a = ta.fma(d, a);
            b = tb.fma(d, b);
        }
        out[0] = a.reduceLanes(VectorOperators.ADD);
        out[1] = b.reduceLanes(VectorOperators.ADD);
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

    /**
     * Reorders the m rows of k floats in x in place for the int-lane Q8_0 loops: within each block
     * of 32, element 4j + q moves to q·8 + j (lane j of an int vector holds codes 4j..4j+3, and
     * its q-th byte is dotted with the q-th x vector). Returns x.
     */
    static float[] quads(float[] x, int m, int k) {
        float[] block = new float[QuantFormat.BLOCK];
        for (int p = 0; p < m * k; p += QuantFormat.BLOCK) {
            System.arraycopy(x, p, block, 0, QuantFormat.BLOCK);
            for (int j = 0; j < 8; j++) {
                for (int q = 0; q < 4; q++) x[p + q * 8 + j] = block[4 * j + q];
            }
        }
        return x;
    }

    /** out[0], out[1] = x_a·W, x_b·W for the Q8_0 row at c, x in {@link #quads} order (8 float lanes only). */
    static void q8LanesRow2(float[] x, int xa, int xb, MemorySegment cs, long c, MemorySegment ss, long s, int k, float[] out) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p, ByteOrder.LITTLE_ENDIAN);
            FloatVector w0 = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w1 = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w2 = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w3 = (FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector ta = w3.fma(FloatVector.fromArray(F, x, xa + p + 24), w2.fma(FloatVector.fromArray(F, x, xa + p + 16),
                    w1.fma(FloatVector.fromArray(F, x, xa + p + 8), w0.mul(FloatVector.fromArray(F, x, xa + p)))));
            FloatVector tb = w3.fma(FloatVector.fromArray(F, x, xb + p + 24), w2.fma(FloatVector.fromArray(F, x, xb + p + 16),
                    w1.fma(FloatVector.fromArray(F, x, xb + p + 8), w0.mul(FloatVector.fromArray(F, x, xb + p)))));
            FloatVector d = FloatVector.broadcast(F, scale(ss, s + 2L * blk));
            a = ta.fma(d, a);
            b = tb.fma(d, b);
        }
        out[0] = a.reduceLanes(VectorOperators.ADD);
        out[1] = b.reduceLanes(VectorOperators.ADD);
    }

    /** x·W for the Q8_0 row at c, x in {@link #quads} order (8 float lanes only). */
    static float q8LanesRow(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k) {
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p, ByteOrder.LITTLE_ENDIAN);
            FloatVector w0 = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w1 = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w2 = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector w3 = (FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector t = w3.fma(FloatVector.fromArray(F, x, xi + p + 24), w2.fma(FloatVector.fromArray(F, x, xi + p + 16),
                    w1.fma(FloatVector.fromArray(F, x, xi + p + 8), w0.mul(FloatVector.fromArray(F, x, xi + p)))));
            a = t.fma(FloatVector.broadcast(F, scale(ss, s + 2L * blk)), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    /** The V bytes (elements j..j+V of a block in their low nibbles, 16+j.. in their high ones) widened to ints. */
    private static IntVector ints(ByteVector v) {
        return (IntVector) v.convertShape(VectorOperators.B2I, I, 0);
    }

    /** Low nibbles − 8 as floats. */
    private static FloatVector lo(IntVector v) {
        return (FloatVector) v.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** High nibbles − 8 as floats (the sign extension of B2I does not reach bits 4..7). */
    private static FloatVector hi(IntVector v) {
        return (FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    private static ByteVector bytes(MemorySegment seg, long off) { return ByteVector.fromMemorySegment(B, seg, off, ByteOrder.LITTLE_ENDIAN); }

    /** out[0], out[1] = x_a·W, x_b·W for the Q4_0 row at c. */
    static void q4Row2(float[] x, int xa, int xb, MemorySegment cs, long c, MemorySegment ss, long s, int k, float[] out) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector ta = FloatVector.zero(F), tb = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                IntVector bv = ints(bytes(cs, c + p / 2 + j));
                FloatVector l = lo(bv), h = hi(bv);
                ta = h.fma(FloatVector.fromArray(F, x, xa + p + 16 + j), l.fma(FloatVector.fromArray(F, x, xa + p + j), ta));
                tb = h.fma(FloatVector.fromArray(F, x, xb + p + 16 + j), l.fma(FloatVector.fromArray(F, x, xb + p + j), tb));
            }
            FloatVector d = FloatVector.broadcast(F, scale(ss, s + 2L * blk));
            a = ta.fma(d, a);
            b = tb.fma(d, b);
        }
        out[0] = a.reduceLanes(VectorOperators.ADD);
        out[1] = b.reduceLanes(VectorOperators.ADD);
    }

    static float q4Row(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                IntVector bv = ints(bytes(cs, c + p / 2 + j));
                t = hi(bv).fma(FloatVector.fromArray(F, x, xi + p + 16 + j), lo(bv).fma(FloatVector.fromArray(F, x, xi + p + j), t));
            }
            a = t.fma(FloatVector.broadcast(F, scale(ss, s + 2L * blk)), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }
}
