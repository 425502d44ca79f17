package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU kernels of {@code Backend.crossEntropy} / {@code crossEntropyBackward}: rows of
 * contiguous F32 or BF16 logits [N, V], split over {@link CpuThreads}.
 *
 * <p>Forward: one pass over each row from memory with an online logsumexp. The row is taken in
 * blocks of {@link #BLOCK} elements: the block's max, then Σ exp(x − running max) over the same
 * block while it is still in L1, the running sum rescaled when the max grows. So the row is read
 * from DRAM once, with one exp per element (a per-element online update needs two).
 *
 * <p>Backward: grad = g·(exp(x − lse)·(1 + 2λ·lse) − onehot(t)) written straight into grad (F32
 * or BF16, may alias the logits), nothing else of the row's size; the target element is computed
 * from its logit read before the row is overwritten, so it is rounded once.
 *
 * <p>Target ids are checked before any work: one outside [0, V) that is not the ignore index
 * throws IllegalArgumentException naming the id and its row.
 */
final class CpuCrossEntropy {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int W = SP.length();
    /** Shorts with W lanes: one BF16 store per float vector. */
    private static final VectorSpecies<Short> S16 = VectorSpecies.of(short.class, VectorShape.forBitSize(SP.vectorBitSize() / 2));
    /** Elements per block of the online logsumexp: 8 KiB of F32, so the exp pass re-reads L1. */
    static final int BLOCK = 2048;

    private CpuCrossEntropy() {}

    static void forward(Tensor logits, Tensor targets, long ignore, double z, Tensor loss, Tensor lse) {
        requireLogits("crossEntropy", logits);
        int n = logits.size(0), v = logits.size(1);
        long[] t = targets(targets, n, v, ignore);
        requireRows("crossEntropy", n, loss, lse);
        MemorySegment xs = CpuElementwise.seg(logits), ls = CpuElementwise.seg(loss), zs = CpuElementwise.seg(lse);
        boolean bf16 = logits.dtype() == DType.BF16;
        int esz = logits.dtype().byteSize();
        long xo = logits.offset() * esz, lo = loss.offset() * 4, zo = lse.offset() * 4;
        float lambda = (float) z;
        CpuThreads.parallelFor(n, grain(v), (s, e) -> {
            for (int r = s; r < e; r++) {
                long row = xo + (long) r * v * esz;
                float lseR = bf16 ? logSumExpBf16(xs, row, v) : logSumExpF32(xs, row, v);
                zs.set(Access.F, zo + r * 4L, lseR);
                float l = 0f;
                if (t[r] != ignore) {
                    float picked = GemmDecode.scalar(xs, row + t[r] * esz, logits.dtype());
                    l = lseR - picked;
                    if (lambda != 0) l += lambda * lseR * lseR;   // not 0·inf = NaN when the z-loss is off
                }
                ls.set(Access.F, lo + r * 4L, l);
            }
        });
    }

    static void backward(Tensor logits, Tensor targets, long ignore, double z, Tensor lse, Tensor gLoss, Tensor grad) {
        requireLogits("crossEntropyBackward", logits);
        int n = logits.size(0), v = logits.size(1);
        long[] t = targets(targets, n, v, ignore);
        requireRows("crossEntropyBackward", n, lse);
        if (gLoss.dtype() != DType.F32 || !gLoss.isContiguous() || (gLoss.numel() != 1 && gLoss.numel() != n)) {
            throw new IllegalArgumentException("crossEntropyBackward needs gLoss as contiguous F32 of 1 or " + n + " elements, got " + gLoss.describe());
        }
        if (grad.numel() != logits.numel() || !grad.isContiguous() || (grad.dtype() != DType.F32 && grad.dtype() != DType.BF16)) {
            throw new IllegalArgumentException("crossEntropyBackward needs grad as contiguous F32/BF16 like " + logits.describe() + ", got " + grad.describe());
        }
        MemorySegment xs = CpuElementwise.seg(logits), zs = CpuElementwise.seg(lse), gs = CpuElementwise.seg(gLoss), os = CpuElementwise.seg(grad);
        DType xt = logits.dtype(), ot = grad.dtype();
        int xsz = xt.byteSize(), osz = ot.byteSize();
        long xo = logits.offset() * xsz, zo = lse.offset() * 4, go = gLoss.offset() * 4, oo = grad.offset() * osz;
        long gStep = gLoss.numel() == 1 ? 0 : 4;
        float lambda = (float) z;
        CpuThreads.parallelFor(n, grain(v), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xrow = xo + (long) r * v * xsz, orow = oo + (long) r * v * osz;
                if (t[r] == ignore) {
                    os.asSlice(orow, (long) v * osz).fill((byte) 0);
                    continue;
                }
                float g = gs.get(Access.F, go + r * gStep);
                float l = zs.get(Access.F, zo + r * 4L);
                float c = lambda == 0 ? g : g * (1f + 2f * lambda * l);
                float xTarget = GemmDecode.scalar(xs, xrow + t[r] * xsz, xt);   // before grad (maybe the logits) is written
                if (xt == DType.BF16) {
                    if (ot == DType.BF16) scaledSoftmaxBf16ToBf16(xs, xrow, os, orow, v, l, c);
                    else scaledSoftmaxBf16ToF32(xs, xrow, os, orow, v, l, c);
                } else {
                    if (ot == DType.BF16) scaledSoftmaxF32ToBf16(xs, xrow, os, orow, v, l, c);
                    else scaledSoftmaxF32ToF32(xs, xrow, os, orow, v, l, c);
                }
                Access.put(os, ot, orow / osz + t[r], c * (float) Math.exp(xTarget - l) - g);
            }
        });
    }

    /** Rows per thread range: at least ~16k elements of work each. */
    private static int grain(int v) { return Math.max(1, 16384 / Math.max(1, v)); }

    private static void requireLogits(String op, Tensor logits) {
        if (logits.dim() != 2 || !logits.isContiguous() || (logits.dtype() != DType.F32 && logits.dtype() != DType.BF16)) {
            throw new IllegalArgumentException(op + " needs contiguous F32/BF16 logits [N, V], got " + logits.describe());
        }
    }

    private static void requireRows(String op, int n, Tensor... rows) {
        for (Tensor t : rows) {
            if (t.numel() != n || t.dtype() != DType.F32 || !t.isContiguous()) {
                throw new IllegalArgumentException(op + " needs contiguous F32 per-row tensors of " + n + " elements, got " + t.describe());
            }
        }
    }

    /** The target ids, checked: each is the ignore index or in [0, v). */
    private static long[] targets(Tensor targets, int n, int v, long ignore) {
        if (targets.numel() != n || targets.dtype().isFloating() || !targets.isContiguous()) {
            throw new IllegalArgumentException("crossEntropy needs contiguous integer targets [" + n + "], got " + targets.describe());
        }
        MemorySegment ts = CpuElementwise.seg(targets);
        long[] t = new long[n];
        for (int r = 0; r < n; r++) {
            long id = Access.getLong(ts, targets.dtype(), targets.offset() + r);
            if (id != ignore && (id < 0 || id >= v)) {
                throw new IllegalArgumentException("crossEntropy: target id " + id + " of row " + r + " is outside [0, " + v
                        + ") and not the ignore index " + ignore);
            }
            t[r] = id;
        }
        return t;
    }

    // ---- forward: online logsumexp over blocks, one loop per dtype (no phi-merged vectors) ----

    static float logSumExpF32(MemorySegment seg, long row, int v) {
        float m = Float.NEGATIVE_INFINITY;
        double sum = 0;
        for (int b = 0; b < v; b += BLOCK) {
            int len = Math.min(BLOCK, v - b);
            long at = row + b * 4L;
            FloatVector mv = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
            int i = 0;
            for (; i <= len - W; i += W) mv = mv.max(FloatVector.fromMemorySegment(SP, seg, at + i * 4L, CpuElementwise.LE));
            float bm = mv.reduceLanes(VectorOperators.MAX);
            for (int k = i; k < len; k++) bm = Math.max(bm, seg.get(Access.F, at + k * 4L));
            if (bm > m) {
                if (sum != 0) sum *= Math.exp(m - bm);
                m = bm;
            }
            if (m == Float.NEGATIVE_INFINITY || Float.isNaN(bm)) {
                if (Float.isNaN(bm)) return Float.NaN;
                continue;   // only −inf so far: nothing to add
            }
            // a loop method of its own: inlined here, exp fell outside C2's node budget and boxed
            sum += RowMath.sumExp(seg, at, len, m);
        }
        return Float.isInfinite(m) ? m : (float) (m + Math.log(sum));
    }

    static float logSumExpBf16(MemorySegment seg, long row, int v) {
        float m = Float.NEGATIVE_INFINITY;
        double sum = 0;
        for (int b = 0; b < v; b += BLOCK) {
            int len = Math.min(BLOCK, v - b);
            long at = row + b * 2L;
            FloatVector mv = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
            int i = 0;
            for (; i <= len - W; i += W) mv = mv.max(GemmDecode.bf16(seg, at + i * 2L));
            float bm = mv.reduceLanes(VectorOperators.MAX);
            for (int k = i; k < len; k++) bm = Math.max(bm, bf16(seg, at + k * 2L));
            if (bm > m) {
                if (sum != 0) sum *= Math.exp(m - bm);
                m = bm;
            }
            if (m == Float.NEGATIVE_INFINITY || Float.isNaN(bm)) {
                if (Float.isNaN(bm)) return Float.NaN;
                continue;
            }
            FloatVector acc = FloatVector.zero(SP);
            i = 0;
            for (; i <= len - W; i += W) acc = acc.add(VectorMath.expScore(GemmDecode.bf16(seg, at + i * 2L).sub(m)));
            sum += RowMath.sumLanes(acc);
            for (int k = i; k < len; k++) sum += Math.exp(bf16(seg, at + k * 2L) - m);
        }
        return Float.isInfinite(m) ? m : (float) (m + Math.log(sum));
    }

    private static float bf16(MemorySegment seg, long off) {
        return Float.intBitsToFloat(seg.get(GemmDecode.I16_LE, off) << 16);
    }

    // ---- backward: out = exp(x − l)·c, one loop per (logits, grad) dtype pair --------------

    private static void scaledSoftmaxF32ToF32(MemorySegment xs, long x, MemorySegment os, long o, int v, float l, float c) {
        int i = 0;
        for (; i <= v - W; i += W) {
            VectorMath.expScore(FloatVector.fromMemorySegment(SP, xs, x + i * 4L, CpuElementwise.LE).sub(l)).mul(c)
                    .intoMemorySegment(os, o + i * 4L, CpuElementwise.LE);
        }
        for (; i < v; i++) os.set(Access.F, o + i * 4L, c * (float) Math.exp(xs.get(Access.F, x + i * 4L) - l));
    }

    private static void scaledSoftmaxF32ToBf16(MemorySegment xs, long x, MemorySegment os, long o, int v, float l, float c) {
        int i = 0;
        for (; i <= v - W; i += W) {
            storeBf16(VectorMath.expScore(FloatVector.fromMemorySegment(SP, xs, x + i * 4L, CpuElementwise.LE).sub(l)).mul(c), os, o + i * 2L);
        }
        for (; i < v; i++) os.set(Access.S, o + i * 2L, DType.floatToBf16(c * (float) Math.exp(xs.get(Access.F, x + i * 4L) - l)));
    }

    private static void scaledSoftmaxBf16ToF32(MemorySegment xs, long x, MemorySegment os, long o, int v, float l, float c) {
        int i = 0;
        for (; i <= v - W; i += W) {
            VectorMath.expScore(GemmDecode.bf16(xs, x + i * 2L).sub(l)).mul(c).intoMemorySegment(os, o + i * 4L, CpuElementwise.LE);
        }
        for (; i < v; i++) os.set(Access.F, o + i * 4L, c * (float) Math.exp(bf16(xs, x + i * 2L) - l));
    }

    private static void scaledSoftmaxBf16ToBf16(MemorySegment xs, long x, MemorySegment os, long o, int v, float l, float c) {
        int i = 0;
        for (; i <= v - W; i += W) storeBf16(VectorMath.expScore(GemmDecode.bf16(xs, x + i * 2L).sub(l)).mul(c), os, o + i * 2L);
        for (; i < v; i++) os.set(Access.S, o + i * 2L, DType.floatToBf16(c * (float) Math.exp(bf16(xs, x + i * 2L) - l)));
    }

    /** Rounds to bf16 exactly as {@link DType#floatToBf16} (nearest even, NaN stays a quiet NaN) and stores W shorts. */
    static void storeBf16(FloatVector f, MemorySegment seg, long off) {
        IntVector bits = f.reinterpretAsInts();
        IntVector high = bits.lanewise(VectorOperators.LSHR, 16);
        IntVector rounded = bits.add(high.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
        VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
        rounded = rounded.blend(high.or(0x0040), nan);
        ((ShortVector) rounded.convertShape(VectorOperators.I2S, S16, 0)).intoMemorySegment(seg, off, CpuElementwise.LE);
    }
}
