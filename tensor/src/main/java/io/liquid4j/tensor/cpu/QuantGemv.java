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
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x·Wᵀ for a quantized W ({@link QuantFormat}) and few rows of x (decoding): W's codes are
 * streamed once and decoded in registers — a byte vector of V lanes sign-extended to V floats
 * (Q8_0; with 8 float lanes an int vector of four codes per lane, see {@link #Q8_LANES}), or
 * split into its low and high nibbles first (Q4_0; with 8 float lanes an int vector of eight
 * nibbles per lane, see {@link #Q4_LANES}) — and each block's partial dot
 * product is scaled by the block's F16 scale into the row's accumulator. With 16 lanes, one x
 * row and a CFG pair of x rows take four W rows a quarter chunk apart at once
 * ({@link #q8Rows4}: four memory streams), with 8 lanes one x row of a Q8_0 product
 * ({@link #q8LanesRows4}); otherwise one W row at a time, each x row re-reading it from L1.
 * (Four adjacent rows sharing each x vector, tried on an AMD Zen 4 VM with 52-82 GB/s of memory,
 * had been slower — Q8_0 2.66 against 2.06 ms at k 4096, n 16384, and a four-row Q4_0 loop C2
 * did not inline — adjacent short rows are one stream, and there the one-row loop was not
 * waiting on memory.)
 *
 * <p>The species are static finals (the Vector API compiles to vector instructions only for
 * species C2 sees as constants: held in an object's field, this kernel measured 1.4 tok/s instead
 * of tens). The preferred shape is the machine's: 16 float lanes on AVX-512, 8 on AVX2 — the test
 * suite runs the CPU kernel tests a second time under {@code -XX:MaxVectorSize=32} for the AVX2
 * shape. Shapes below 8 float lanes have no byte species of V lanes: {@link #usable()} is false
 * there and the backend dequantizes instead. Each loop writes its decoding out in full rather
 * than calling a helper that takes and returns vectors: C2 boxed such a helper's vectors in the
 * BF16 GEMV ({@link GemvBf16}). Even a helper that only took the four accumulators after the loop
 * (four lane sums, once per four rows) halved the Q4_0 decode: DecodeBench 43-45 against 94-119
 * tok/s on the Intel AVX-512 VM.
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

    /**
     * Whether Q4_0 rows are read as int lanes of eight nibbles (8 float lanes: one int vector is
     * two 16-byte blocks, lanes 0-3 the first, 4-7 the second): the codes are XORed with 8 once per
     * int vector, then each nibble is sign-extended by two shifts to its value − 8, where the byte
     * loop widens 8 bytes to ints and masks, shifts and re-centres each half. A throwaway
     * single-thread test on Zen 3 (64 rows × 4096 from L2, best of 200): 12.0 against 7.1 G
     * weights/s (Q8_0's int lanes: 11.3). x is reordered to match ({@link #nibbles}); the row's
     * scales come from an array ({@link #rowScales}); an odd last block keeps the byte loop.
     */
    private static final boolean Q4_LANES = F.length() == 8;
    /**
     * How one x row reads Q8_0 W (property {@code liquid4j.quant.q8Streams}): 4 (the default), four
     * rows a quarter chunk apart at once ({@link #q8Rows4}, {@link #q8LanesRows4}); 1, one row after
     * the other. Machines differ: on the Intel AVX-512 VM four streams took Q8_0 decode from 1.00×
     * to 1.36-1.78× BF16's; on the 2-vCPU Zen 4 VM one row was faster in seven alternating rounds
     * (DecodeBench 113-133 against 88-124 tok/s) while the four-row loop still boxed its lane sums;
     * since they are parked (VectorMath.parking) the two run alike there, four streams ahead in 3
     * of 4 rounds (107-146 against 120-140). The bits are the same either way.
     */
    private static final boolean Q8_FOUR_STREAMS = streams("liquid4j.quant.q8Streams");

    private static boolean streams(String property) {
        int n = Integer.getInteger(property, 4);
        if (n != 1 && n != 4) throw new IllegalArgumentException(property + " must be 1 or 4, got " + n);
        return n == 4;
    }
    /**
     * Most x rows whose products decode W in registers (the pairs loops, and with 8 lanes the
     * four-row loops); more rows decode each W row once into an L1 float row and dot it with every
     * x row. With 16 lanes, which have no four-row loops, eight rows ran as four pairs that each
     * decoded W again: DecodeStepBench Q4_0 at batch 8 74-80 ms a step that way, 57-58 decoded once
     * (Q8_0 62-67 either way); at batch 4 the two pairs stay faster for Q4_0 (33-34 against 38-40 ms;
     * Intel AVX-512 VM, alternating builds).
     */
    static final int REGISTER_ROWS = F.length() == 8 ? 8 : 4;
    /** Lanes 4-7 of an 8-lane F: the second block of a Q4_0 int vector. */
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(F, 0xF0);

    private QuantGemv() {}

    static boolean usable() { return B != null; }

    /** Float lanes of the shape in use. */
    static int lanes() { return F.length(); }

    /**
     * out [m, n] = x [m, k] · Wᵀ; x and out contiguous F32 on the CPU, m ≤ MAX_M. Up to {@link #REGISTER_ROWS} x rows:
     * each W row's codes are decoded straight into the dot products, one decoded vector feeding a
     * pair of x rows (the W row is re-read from L1 per pair) — with 8 float lanes four x rows at a
     * time first (a CFG step of two or more images: 8 rows for `liquid imagine`'s default of 4
     * images; DecodeStepBench at batch 8 ~1.2-1.3× faster than pairs alone on Zen 3, with the
     * scales from an array as in the Q4_0 loops). More rows: each W row is decoded once
     * into an L1-resident float row, then dotted with every x row.
     */
    static void multiply(Tensor x, QuantizedWeight w, Tensor out) {
        int m = x.size(0);
        float[] xs = x.toFloatArray();
        CpuThreads.Loop loop = rows(xs, inLaneOrder(xs, m, w.cols(), w.format()), m, w, out);
        CpuThreads.parallelForChunks(loop.count(), loop.chunk(), loop.body());
    }

    /**
     * {@link #multiply} for several weights of one format over the same x [m, k] (a quantized
     * layer's q/k/v or gate/up projections) as one parallel job: x laid out once, the threads
     * taking chunks of every W in turn; each output as multiply gives it. False, with nothing
     * done, for weights of mixed formats.
     */
    static boolean multiplyAll(Tensor x, QuantizedWeight[] weights, Tensor[] outs) {
        QuantFormat format = weights[0].format();
        for (QuantizedWeight w : weights) if (w.format() != format || w.cols() != weights[0].cols()) return false;
        int m = x.size(0);
        float[] xs = x.toFloatArray(), xq = inLaneOrder(xs, m, weights[0].cols(), format);
        CpuThreads.Loop[] loops = new CpuThreads.Loop[weights.length];
        for (int i = 0; i < weights.length; i++) loops[i] = rows(xs, xq, m, weights[i], outs[i]);
        CpuThreads.parallelForChunks(loops);
        return true;
    }

    /**
     * x as the row loops of {@link #rows} read it: with 8 float lanes the m ≤ 8 loops read x in
     * int-lane order (xs itself, reordered in place: the caller's own copy); the others (16 lanes,
     * m > REGISTER_ROWS) in natural order (xs unchanged).
     */
    private static float[] inLaneOrder(float[] xs, int m, int k, QuantFormat format) {
        boolean q8 = format == QuantFormat.Q8_0, decodeOnce = m > REGISTER_ROWS;
        if (q8 && Q8_LANES && !decodeOnce) return quads(xs, m, k);
        if (!q8 && Q4_LANES && !decodeOnce) return nibbles(xs, m, k);
        return xs;
    }

    /** The loop of {@link #multiply} over W's rows in chunks of ~CHUNK_BYTES, x as xs and (see inLaneOrder) xq. */
    private static CpuThreads.Loop rows(float[] xs, float[] xq, int m, QuantizedWeight w, Tensor out) {
        int k = w.cols(), n = w.rows();
        MemorySegment codes = CpuElementwise.seg(w.codes()), scales = CpuElementwise.seg(w.scales()), o = CpuElementwise.seg(out);
        long c0 = w.codes().offset(), s0 = w.scales().offset() * 2L, o0 = out.offset() * 4L;
        long rowBytes = w.format().rowBytes(k), scaleRow = 2L * (k / QuantFormat.BLOCK);
        boolean q8 = w.format() == QuantFormat.Q8_0;
        boolean decodeOnce = m > REGISTER_ROWS, q8Lanes = q8 && Q8_LANES && !decodeOnce, q4Lanes = !q8 && Q4_LANES && !decodeOnce;
        int chunk = (int) Math.max(1, CHUNK_BYTES / rowBytes);
        return new CpuThreads.Loop(n, chunk, (start, end) -> {
            float[] row = decodeOnce ? new float[k] : null, two = new float[pairOut()], four = new float[4], d = !decodeOnce && (!q8 || q8Lanes && m >= 4) ? new float[k / QuantFormat.BLOCK] : null;
            int r = start;
            // one x row (decoding) or, with 16 lanes, a CFG pair: the chunk's four quarters at once, see q8Rows4
            if (m == 1 && (q8 ? Q8_FOUR_STREAMS : !Q4_LANES) || m == 2 && !(q8 ? Q8_LANES : Q4_LANES)) {
                int q = (end - start) / 4, nb = k / QuantFormat.BLOCK;
                float[] d4 = new float[4 * nb], res = new float[4 * m];
                for (; r < start + q; r++) {
                    for (int j = 0; j < 4; j++) rowScales(scales, s0 + (r + j * q) * scaleRow, d4, j * nb, nb);
                    long c = c0 + r * rowBytes, stride = q * rowBytes;
                    if (m == 2 && q8) q8Rows4x2(xs, codes, c, stride, d4, k, res);
                    else if (m == 2) q4Rows4x2(xs, codes, c, stride, d4, k, res);
                    else if (q8Lanes) q8LanesRows4(xq, codes, c, stride, d4, k, res);
                    else if (q8) q8Rows4(xs, codes, c, stride, d4, k, res);
                    else q4Rows4(xs, codes, c, stride, d4, k, res);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < 4; j++) o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r + j * q), res[4 * i + j]);
                    }
                }
                r = start + 4 * q;
            }
            for (; r < end; r++) {
                long c = c0 + r * rowBytes, s = s0 + r * scaleRow;
                if (d != null) rowScales(scales, s, d);
                if (decodeOnce) {
                    decodeRow(codes, c, scales, s, k, q8, row, 0);
                    for (int i = 0; i < m; i++) o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r), dot(row, xs, i * k, k));
                    continue;
                }
                int i = 0;
                for (; (q8Lanes || q4Lanes) && i + 4 <= m; i += 4) {   // four x rows share each decoded vector (CFG of 2+ images)
                    if (q8Lanes) q8LanesRow4(xq, i * k, codes, c, d, k, four);
                    else q4LanesRow4(xq, i * k, codes, c, d, k, four);
                    for (int j = 0; j < 4; j++) o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) (i + j) * n + r), four[j]);
                }
                for (; i + 2 <= m; i += 2) {   // pairs of x rows share each decoded vector (CFG decodes 2 rows)
                    if (q8Lanes) q8LanesRow2(xq, i * k, (i + 1) * k, codes, c, scales, s, k, two);
                    else if (q8) q8Row2(xs, i * k, (i + 1) * k, codes, c, scales, s, k, two);
                    else if (q4Lanes) q4LanesRow2(xq, i * k, (i + 1) * k, codes, c, d, k, two);
                    else q4Row2(xs, i * k, (i + 1) * k, codes, c, d, k, two);
                    o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) i * n + r), two[0]);
                    o.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o0 + 4L * ((long) (i + 1) * n + r), two[1]);
                }
                if (i < m) {
                    float dot = q8Lanes ? q8LanesRow(xq, i * k, codes, c, scales, s, k, two)
                            : q8 ? q8Row(xs, i * k, codes, c, scales, s, k, two)
                            : q4Lanes ? q4LanesRow(xq, i * k, codes, c, d, k, two) : q4Row(xs, i * k, codes, c, d, k, two);
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
                    IntVector bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                    FloatVector l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                    FloatVector h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                    l.mul(d).intoArray(out, at + p + j);
                    h.mul(d).intoArray(out, at + p + 16 + j);
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
        return VectorMath.laneSum(a.add(b));
    }

    private static FloatVector q8(MemorySegment seg, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float scale(MemorySegment seg, long off) { return Float.float16ToFloat(seg.get(I16_LE, off)); }

    /**
     * The F16 scales of one row (at s) as floats into out. The int-lane Q4_0 loops and both
     * four-row loops read them from this array: a segment read inside their larger loop bodies
     * made the Q4_0 one-row loop 2.5× slower (a throwaway single-thread test on Zen 3 from L2: 4.3
     * against 10.7 G weights/s) and the Q8_0 four-row loop 2× slower than the pairs — those loops
     * hold more live values than the x86 registers, and the segment's checks are reloaded every
     * pass. Q8_0's one- and two-row loops, smaller, measured no faster with the array
     * (DecodeBench, alternating; on the Intel AVX-512 VM too, 64-65 against 69-70 tok/s), so they
     * keep their segment reads; the 16-lane four-stream loops take the array (in a throwaway
     * harness from L2 the one-row loop ran 1.35× faster with it, the conversion included: 10.8
     * against 14.6 G weights/s). A bulk copy of a row's scales into a short[] before converting was
     * slower in the decode (MemorySegment.copy's fixed cost on 24 scales; DecodeBench 65-73 against
     * 75-108 tok/s, alternating). The 16-lane Q4_0 loops take the array as well: on an Intel AVX-512
     * VM their per-block segment read and their decoding through helper methods (which C2 compiled
     * without the vector intrinsics in the decode step's context, though not under QuantGemvBench)
     * had Q4_0 decoding at 12-13 tok/s; written out with the array, 69 (BENCHMARKS.md).
     */
    private static void rowScales(MemorySegment seg, long s, float[] out) { rowScales(seg, s, out, 0, out.length); }

    private static void rowScales(MemorySegment seg, long s, float[] out, int at, int count) {
        for (int b = 0; b < count; b++) out[at + b] = scale(seg, s + 2L * b);
    }

    /**
     * Floats a pairs loop's out must hold (and the one-row loops' park): the two results, then room
     * to park the sums (from index 2), which VectorMath sums from there (see
     * {@link VectorMath#parking}: handed to laneSum in the loop's method they were boxed,
     * ~140-270 KB per 2048-row CFG product in the 8-lane shape).
     */
    static int pairOut() { return 2 + 2 * F.length(); }

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
        a.intoArray(out, 2);   // parked, see pairOut
        b.intoArray(out, 2 + F.length());
        out[0] = VectorMath.parkedSum(out, 2);
        out[1] = VectorMath.parkedSum(out, 2 + F.length());
    }

    static float q8Row(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k, float[] park) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) t = q8(cs, c + p + e).fma(FloatVector.fromArray(F, x, xi + p + e), t);
            a = t.fma(FloatVector.broadcast(F, scale(ss, s + 2L * blk)), a);
        }
        a.intoArray(park, 2);   // parked, see pairOut
        return VectorMath.parkedSum(park, 2);
    }

    /**
     * out[0..4) = x·W for the four Q8_0 rows at c, c + stride, c + 2·stride, c + 3·stride (16 float
     * lanes, one x row), their scales in d (row j's at j·k/32): the same operations per row as
     * {@link #q8Row}, so a row's dot has the same bits whichever loop took it. The caller passes
     * rows a quarter chunk apart, so four sequential streams come from memory at once: one row
     * after the other, a core waits on the misses of each page and then decodes (memory and
     * decoding add up: ~5 G weights/s a core from DRAM against 11-14 from L2 on the Intel AVX-512
     * VM); four streams pages apart overlap them. A throwaway harness (W from DRAM, two threads,
     * G weights/s, one row at a time / four adjacent rows / four quarters of 128 KiB chunks): k 4096
     * 9.6 / 15.1 / 13.7, k 2048 7.1 / 9.2 / 12.6, k 768 8.0 / 6.9 / 10.0 — adjacent rows less
     * than a page apart are no separate streams (BENCHMARKS.md).
     */
    static void q8Rows4(float[] x, MemorySegment cs, long c, long stride, float[] d, int k, float[] out) {
        int v = F.length(), nb = k / QuantFormat.BLOCK;
        long c1 = c + stride, c2 = c1 + stride, c3 = c2 + stride;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) {
                FloatVector xv = FloatVector.fromArray(F, x, p + e);
                t0 = ((FloatVector) ByteVector.fromMemorySegment(B, cs, c + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(xv, t0);
                t1 = ((FloatVector) ByteVector.fromMemorySegment(B, cs, c1 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(xv, t1);
                t2 = ((FloatVector) ByteVector.fromMemorySegment(B, cs, c2 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(xv, t2);
                t3 = ((FloatVector) ByteVector.fromMemorySegment(B, cs, c3 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(xv, t3);
            }
            a0 = t0.fma(FloatVector.broadcast(F, d[blk]), a0);
            a1 = t1.fma(FloatVector.broadcast(F, d[nb + blk]), a1);
            a2 = t2.fma(FloatVector.broadcast(F, d[2 * nb + blk]), a2);
            a3 = t3.fma(FloatVector.broadcast(F, d[3 * nb + blk]), a3);
        }
        float[] park = VectorMath.parking(4 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        VectorMath.laneSums(park, 4, out, 0);
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
        a.intoArray(out, 2);   // parked, see pairOut
        b.intoArray(out, 2 + F.length());
        out[0] = VectorMath.parkedSum(out, 2);
        out[1] = VectorMath.parkedSum(out, 2 + F.length());
    }

    /**
     * out[0..4) = x_i·W for the four x rows at xi, xi + k, xi + 2k, xi + 3k and the Q8_0 row at c,
     * x in {@link #quads} order (8 float lanes only): each code vector is decoded once for four
     * rows (the pairs loop decodes it twice for them). One decoded vector is live at a time, so
     * the four row sums, four accumulators and the codes fit AVX2's 16 registers.
     */
    static void q8LanesRow4(float[] x, int xi, MemorySegment cs, long c, float[] scales, int k, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int x1 = xi + k, x2 = xi + 2 * k, x3 = xi + 3 * k;
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p, ByteOrder.LITTLE_ENDIAN);
            FloatVector w = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector t0 = w.mul(FloatVector.fromArray(F, x, xi + p)), t1 = w.mul(FloatVector.fromArray(F, x, x1 + p));
            FloatVector t2 = w.mul(FloatVector.fromArray(F, x, x2 + p)), t3 = w.mul(FloatVector.fromArray(F, x, x3 + p));
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, xi + p + 8), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, x1 + p + 8), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, x2 + p + 8), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, x3 + p + 8), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, xi + p + 16), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, x1 + p + 16), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, x2 + p + 16), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, x3 + p + 16), t3);
            w = (FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, xi + p + 24), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, x1 + p + 24), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, x2 + p + 24), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, x3 + p + 24), t3);
            FloatVector d = FloatVector.broadcast(F, scales[blk]);
            a0 = t0.fma(d, a0);
            a1 = t1.fma(d, a1);
            a2 = t2.fma(d, a2);
            a3 = t3.fma(d, a3);
        }
        float[] park = VectorMath.parking(4 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        VectorMath.laneSums(park, 4, out, 0);
    }

    /** x·W for the Q8_0 row at c, x in {@link #quads} order (8 float lanes only). */
    static float q8LanesRow(float[] x, int xi, MemorySegment cs, long c, MemorySegment ss, long s, int k, float[] park) {
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
        a.intoArray(park, 2);   // parked, see pairOut
        return VectorMath.parkedSum(park, 2);
    }

    /**
     * {@link #q8Rows4} for 8 lanes: x·W for the four Q8_0 rows at c + j·stride, x in {@link #quads}
     * order, the same operations per row as {@link #q8LanesRow}. Measured only in the 8-lane shape
     * on the Intel AVX-512 VM ({@code -XX:MaxVectorSize=32}): DecodeBench Q8_0 84.0, 88.7, 96.4
     * against 78.1, 71.9, 74.1 tok/s one row at a time (alternating builds); not yet on an AVX2 machine.
     */
    static void q8LanesRows4(float[] x, MemorySegment cs, long c, long stride, float[] d, int k, float[] out) {
        int nb = k / QuantFormat.BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector x0 = FloatVector.fromArray(F, x, p), x1 = FloatVector.fromArray(F, x, p + 8);
            FloatVector x2 = FloatVector.fromArray(F, x, p + 16), x3 = FloatVector.fromArray(F, x, p + 24);
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p, ByteOrder.LITTLE_ENDIAN);
            FloatVector t = ((FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0))));
            a0 = t.fma(FloatVector.broadcast(F, d[blk]), a0);
            q = IntVector.fromMemorySegment(I, cs, c + stride + p, ByteOrder.LITTLE_ENDIAN);
            t = ((FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0))));
            a1 = t.fma(FloatVector.broadcast(F, d[nb + blk]), a1);
            q = IntVector.fromMemorySegment(I, cs, c + 2 * stride + p, ByteOrder.LITTLE_ENDIAN);
            t = ((FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0))));
            a2 = t.fma(FloatVector.broadcast(F, d[2 * nb + blk]), a2);
            q = IntVector.fromMemorySegment(I, cs, c + 3 * stride + p, ByteOrder.LITTLE_ENDIAN);
            t = ((FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1,
                    ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0))));
            a3 = t.fma(FloatVector.broadcast(F, d[3 * nb + blk]), a3);
        }
        float[] park = VectorMath.parking(4 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        VectorMath.laneSums(park, 4, out, 0);
    }

    /**
     * out[0], out[1] = x_a·W, x_b·W for the Q4_0 row at c. Here and in the other byte loops the
     * block's bytes j..j+V are widened to int lanes: the low nibble − 8 is element j, the high one
     * (shifted down, then masked: B2I's sign extension fills the bits above the byte) element 16 + j.
     */
    static void q4Row2(float[] x, int xa, int xb, MemorySegment cs, long c, float[] scales, int k, float[] out) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector ta = FloatVector.zero(F), tb = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                IntVector bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                FloatVector l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                FloatVector h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                ta = h.fma(FloatVector.fromArray(F, x, xa + p + 16 + j), l.fma(FloatVector.fromArray(F, x, xa + p + j), ta));
                tb = h.fma(FloatVector.fromArray(F, x, xb + p + 16 + j), l.fma(FloatVector.fromArray(F, x, xb + p + j), tb));
            }
            FloatVector d = FloatVector.broadcast(F, scales[blk]);
            a = ta.fma(d, a);
            b = tb.fma(d, b);
        }
        a.intoArray(out, 2);   // parked, see pairOut
        b.intoArray(out, 2 + F.length());
        out[0] = VectorMath.parkedSum(out, 2);
        out[1] = VectorMath.parkedSum(out, 2 + F.length());
    }

    static float q4Row(float[] x, int xi, MemorySegment cs, long c, float[] scales, int k, float[] park) {
        int v = F.length();
        FloatVector a = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                IntVector bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                FloatVector l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                FloatVector h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                t = h.fma(FloatVector.fromArray(F, x, xi + p + 16 + j), l.fma(FloatVector.fromArray(F, x, xi + p + j), t));
            }
            a = t.fma(FloatVector.broadcast(F, scales[blk]), a);
        }
        a.intoArray(park, 2);   // parked, see pairOut
        return VectorMath.parkedSum(park, 2);
    }

    /**
     * {@link #q8Rows4} for two x rows (x at 0 and k: a CFG pair): out[j] = x_0·W_j, out[4 + j] =
     * x_1·W_j, the same operations per row and x row as {@link #q8Row2}.
     */
    static void q8Rows4x2(float[] x, MemorySegment cs, long c, long stride, float[] d, int k, float[] out) {
        int v = F.length(), nb = k / QuantFormat.BLOCK;
        long c1 = c + stride, c2 = c1 + stride, c3 = c2 + stride;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            FloatVector u0 = FloatVector.zero(F), u1 = FloatVector.zero(F), u2 = FloatVector.zero(F), u3 = FloatVector.zero(F);
            for (int e = 0; e < QuantFormat.BLOCK; e += v) {
                FloatVector xa = FloatVector.fromArray(F, x, p + e), xb = FloatVector.fromArray(F, x, k + p + e);
                FloatVector w = (FloatVector) ByteVector.fromMemorySegment(B, cs, c + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
                t0 = w.fma(xa, t0);
                u0 = w.fma(xb, u0);
                w = (FloatVector) ByteVector.fromMemorySegment(B, cs, c1 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
                t1 = w.fma(xa, t1);
                u1 = w.fma(xb, u1);
                w = (FloatVector) ByteVector.fromMemorySegment(B, cs, c2 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
                t2 = w.fma(xa, t2);
                u2 = w.fma(xb, u2);
                w = (FloatVector) ByteVector.fromMemorySegment(B, cs, c3 + p + e, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
                t3 = w.fma(xa, t3);
                u3 = w.fma(xb, u3);
            }
            FloatVector d0 = FloatVector.broadcast(F, d[blk]), d1 = FloatVector.broadcast(F, d[nb + blk]);
            FloatVector d2 = FloatVector.broadcast(F, d[2 * nb + blk]), d3 = FloatVector.broadcast(F, d[3 * nb + blk]);
            a0 = t0.fma(d0, a0);
            b0 = u0.fma(d0, b0);
            a1 = t1.fma(d1, a1);
            b1 = u1.fma(d1, b1);
            a2 = t2.fma(d2, a2);
            b2 = u2.fma(d2, b2);
            a3 = t3.fma(d3, a3);
            b3 = u3.fma(d3, b3);
        }
        float[] park = VectorMath.parking(8 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        b0.intoArray(park, 4 * F.length());
        b1.intoArray(park, 5 * F.length());
        b2.intoArray(park, 6 * F.length());
        b3.intoArray(park, 7 * F.length());
        VectorMath.laneSums(park, 8, out, 0);
    }

    /** {@link #q8Rows4} for Q4_0: the four rows at c + j·stride, the same operations per row as {@link #q4Row}. */
    static void q4Rows4(float[] x, MemorySegment cs, long c, long stride, float[] d, int k, float[] out) {
        int v = F.length(), nb = k / QuantFormat.BLOCK;
        long c1 = c + stride, c2 = c1 + stride, c3 = c2 + stride;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                FloatVector xl = FloatVector.fromArray(F, x, p + j), xh = FloatVector.fromArray(F, x, p + 16 + j);
                IntVector b0 = (IntVector) ByteVector.fromMemorySegment(B, cs, c + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                IntVector b1 = (IntVector) ByteVector.fromMemorySegment(B, cs, c1 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                IntVector b2 = (IntVector) ByteVector.fromMemorySegment(B, cs, c2 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                IntVector b3 = (IntVector) ByteVector.fromMemorySegment(B, cs, c3 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                t0 = ((FloatVector) b0.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xh, ((FloatVector) b0.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xl, t0));
                t1 = ((FloatVector) b1.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xh, ((FloatVector) b1.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xl, t1));
                t2 = ((FloatVector) b2.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xh, ((FloatVector) b2.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xl, t2));
                t3 = ((FloatVector) b3.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xh, ((FloatVector) b3.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).fma(xl, t3));
            }
            a0 = t0.fma(FloatVector.broadcast(F, d[blk]), a0);
            a1 = t1.fma(FloatVector.broadcast(F, d[nb + blk]), a1);
            a2 = t2.fma(FloatVector.broadcast(F, d[2 * nb + blk]), a2);
            a3 = t3.fma(FloatVector.broadcast(F, d[3 * nb + blk]), a3);
        }
        float[] park = VectorMath.parking(4 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        VectorMath.laneSums(park, 4, out, 0);
    }

    /** {@link #q8Rows4x2} for Q4_0: the same operations per (row, x row) as {@link #q4Row2}. */
    static void q4Rows4x2(float[] x, MemorySegment cs, long c, long stride, float[] d, int k, float[] out) {
        int v = F.length(), nb = k / QuantFormat.BLOCK;
        long c1 = c + stride, c2 = c1 + stride, c3 = c2 + stride;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int p = 0, blk = 0; p < k; p += QuantFormat.BLOCK, blk++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            FloatVector u0 = FloatVector.zero(F), u1 = FloatVector.zero(F), u2 = FloatVector.zero(F), u3 = FloatVector.zero(F);
            for (int j = 0; j < 16; j += v) {
                FloatVector xal = FloatVector.fromArray(F, x, p + j), xah = FloatVector.fromArray(F, x, p + 16 + j);
                FloatVector xbl = FloatVector.fromArray(F, x, k + p + j), xbh = FloatVector.fromArray(F, x, k + p + 16 + j);
                IntVector bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                FloatVector l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                FloatVector h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                t0 = h.fma(xah, l.fma(xal, t0));
                u0 = h.fma(xbh, l.fma(xbl, u0));
                bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c1 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                t1 = h.fma(xah, l.fma(xal, t1));
                u1 = h.fma(xbh, l.fma(xbl, u1));
                bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c2 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                t2 = h.fma(xah, l.fma(xal, t2));
                u2 = h.fma(xbh, l.fma(xbl, u2));
                bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c3 + p / 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                t3 = h.fma(xah, l.fma(xal, t3));
                u3 = h.fma(xbh, l.fma(xbl, u3));
            }
            FloatVector d0 = FloatVector.broadcast(F, d[blk]), d1 = FloatVector.broadcast(F, d[nb + blk]);
            FloatVector d2 = FloatVector.broadcast(F, d[2 * nb + blk]), d3 = FloatVector.broadcast(F, d[3 * nb + blk]);
            a0 = t0.fma(d0, a0);
            b0 = u0.fma(d0, b0);
            a1 = t1.fma(d1, a1);
            b1 = u1.fma(d1, b1);
            a2 = t2.fma(d2, a2);
            b2 = u2.fma(d2, b2);
            a3 = t3.fma(d3, a3);
            b3 = u3.fma(d3, b3);
        }
        float[] park = VectorMath.parking(8 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        b0.intoArray(park, 4 * F.length());
        b1.intoArray(park, 5 * F.length());
        b2.intoArray(park, 6 * F.length());
        b3.intoArray(park, 7 * F.length());
        VectorMath.laneSums(park, 8, out, 0);
    }

    /**
     * Reorders the m rows of k floats in x in place for the int-lane Q4_0 loops: within each pair of
     * blocks (64 elements from a row's start), the element of nibble t of int lane j moves to t·8 + j.
     * Lane j holds bytes 4j..4j+3 of the pair (block j / 4, bytes 4(j mod 4)..); nibble t is byte t / 2's
     * low half (element byte) for even t, its high half (element byte + 16) for odd t. A row's odd
     * last block stays in natural order. Returns x.
     */
    static float[] nibbles(float[] x, int m, int k) {
        float[] pair = new float[2 * QuantFormat.BLOCK];
        for (int i = 0; i < m; i++) {
            for (int p = i * k; p + pair.length <= (i + 1) * k; p += pair.length) {
                System.arraycopy(x, p, pair, 0, pair.length);
                for (int j = 0; j < 8; j++) {
                    for (int t = 0; t < 8; t++) x[p + t * 8 + j] = pair[(j / 4) * 32 + 4 * (j % 4) + t / 2 + 16 * (t % 2)];
                }
            }
        }
        return x;
    }

    /** x·W for the Q4_0 row at c, x in {@link #nibbles} order (8 float lanes only). */
    static float q4LanesRow(float[] x, int xi, MemorySegment cs, long c, float[] scales, int k, float[] park) {
        FloatVector a = FloatVector.zero(F), b = FloatVector.zero(F);   // lanes 0-3 of a, 4-7 of b count
        int p = 0, blk = 0;
        for (int end = k & ~63; p < end; p += 64, blk += 2) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p / 2, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.XOR, 0x88888888);
            int o = xi + p;
            FloatVector u = ((FloatVector) q.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, o));
            FloatVector v = ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, o + 8));
            u = ((FloatVector) q.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 16), u);
            v = ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 24), v);
            u = ((FloatVector) q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 32), u);
            v = ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 40), v);
            u = ((FloatVector) q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 48), u);
            v = ((FloatVector) q.lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, o + 56), v);
            FloatVector t = u.add(v);
            a = t.fma(FloatVector.broadcast(F, scales[blk]), a);
            b = t.fma(FloatVector.broadcast(F, scales[blk + 1]), b);
        }
        a.blend(b, UPPER_HALF).intoArray(park, 2);   // parked, see pairOut
        float dot = VectorMath.parkedSum(park, 2);
        return p < k ? dot + q4Block(x, xi + p, cs, c + p / 2, scales[blk]) : dot;
    }

    /** out[0], out[1] = x_a·W, x_b·W for the Q4_0 row at c, x in {@link #nibbles} order (8 float lanes only). */
    static void q4LanesRow2(float[] x, int xa, int xb, MemorySegment cs, long c, float[] scales, int k, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        int p = 0, blk = 0;
        for (int end = k & ~63; p < end; p += 64, blk += 2) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p / 2, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.XOR, 0x88888888);
            int oa = xa + p, ob = xb + p;
            FloatVector w = (FloatVector) q.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            FloatVector ta = w.mul(FloatVector.fromArray(F, x, oa)), tb = w.mul(FloatVector.fromArray(F, x, ob));
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 8), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 8), tb);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 16), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 16), tb);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 24), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 24), tb);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 32), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 32), tb);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 40), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 40), tb);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 48), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 48), tb);
            w = (FloatVector) q.lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            ta = w.fma(FloatVector.fromArray(F, x, oa + 56), ta);
            tb = w.fma(FloatVector.fromArray(F, x, ob + 56), tb);
            FloatVector d0 = FloatVector.broadcast(F, scales[blk]), d1 = FloatVector.broadcast(F, scales[blk + 1]);
            a0 = ta.fma(d0, a0);
            a1 = ta.fma(d1, a1);
            b0 = tb.fma(d0, b0);
            b1 = tb.fma(d1, b1);
        }
        a0.blend(a1, UPPER_HALF).intoArray(out, 2);   // parked, see pairOut
        b0.blend(b1, UPPER_HALF).intoArray(out, 2 + F.length());
        out[0] = VectorMath.parkedSum(out, 2);
        out[1] = VectorMath.parkedSum(out, 2 + F.length());
        if (p < k) {
            out[0] += q4Block(x, xa + p, cs, c + p / 2, scales[blk]);
            out[1] += q4Block(x, xb + p, cs, c + p / 2, scales[blk]);
        }
    }

    /**
     * out[0..4) = x_i·W for the four x rows at xi, xi + k, xi + 2k, xi + 3k and the Q4_0 row at c,
     * x in {@link #nibbles} order (8 float lanes only): each nibble vector is decoded once for four
     * rows. The two blocks' scales are blended into one vector per pair, so one accumulator per
     * row suffices and the loop stays within AVX2's 16 registers.
     */
    static void q4LanesRow4(float[] x, int xi, MemorySegment cs, long c, float[] scales, int k, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int p = 0, blk = 0;
        for (int end = k & ~63; p < end; p += 64, blk += 2) {
            IntVector q = IntVector.fromMemorySegment(I, cs, c + p / 2, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.XOR, 0x88888888);
            int o0 = xi + p, o1 = o0 + k, o2 = o1 + k, o3 = o2 + k;
            FloatVector w = (FloatVector) q.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            FloatVector t0 = w.mul(FloatVector.fromArray(F, x, o0)), t1 = w.mul(FloatVector.fromArray(F, x, o1));
            FloatVector t2 = w.mul(FloatVector.fromArray(F, x, o2)), t3 = w.mul(FloatVector.fromArray(F, x, o3));
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 8), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 8), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 8), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 8), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 16), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 16), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 16), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 16), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 24), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 24), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 24), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 24), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 32), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 32), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 32), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 32), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 40), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 40), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 40), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 40), t3);
            w = (FloatVector) q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 48), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 48), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 48), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 48), t3);
            w = (FloatVector) q.lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
            t0 = w.fma(FloatVector.fromArray(F, x, o0 + 56), t0);
            t1 = w.fma(FloatVector.fromArray(F, x, o1 + 56), t1);
            t2 = w.fma(FloatVector.fromArray(F, x, o2 + 56), t2);
            t3 = w.fma(FloatVector.fromArray(F, x, o3 + 56), t3);
            FloatVector d = FloatVector.broadcast(F, scales[blk]).blend(FloatVector.broadcast(F, scales[blk + 1]), UPPER_HALF);
            a0 = t0.fma(d, a0);
            a1 = t1.fma(d, a1);
            a2 = t2.fma(d, a2);
            a3 = t3.fma(d, a3);
        }
        float[] park = VectorMath.parking(4 * F.length());   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, F.length());
        a2.intoArray(park, 2 * F.length());
        a3.intoArray(park, 3 * F.length());
        VectorMath.laneSums(park, 4, out, 0);
        if (p < k) {
            for (int j = 0; j < 4; j++) out[j] += q4Block(x, xi + j * k + p, cs, c + p / 2, scales[blk]);
        }
    }

    /** d · x·W over one Q4_0 block at c (x in natural order): the int-lane loops' odd last block. */
    private static float q4Block(float[] x, int xi, MemorySegment cs, long c, float d) {
        FloatVector t = FloatVector.zero(F);
        for (int j = 0; j < 16; j += F.length()) {
            IntVector bv = (IntVector) ByteVector.fromMemorySegment(B, cs, c + j, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
            FloatVector l = (FloatVector) bv.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
            FloatVector h = (FloatVector) bv.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
            t = h.fma(FloatVector.fromArray(F, x, xi + 16 + j), l.fma(FloatVector.fromArray(F, x, xi + j), t));
        }
        return d * VectorMath.laneSum(t);
    }
}
