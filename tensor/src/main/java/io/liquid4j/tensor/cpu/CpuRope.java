package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link io.liquid4j.tensor.F#rope} in one pass over F32 or BF16 rows: out = [x1·c − x2·s,
 * x2·c + x1·s] per row of x [B, H, L, D] (x1, x2 its halves, c and s the row's table entries; the
 * inverse rotation negates s). Each product is rounded before the sum, as the composed reference
 * ({@code RopeReference}) rounds them, so both give the same bits; BF16 rows are computed in F32
 * and rounded once on the store, as the reference's final copy rounds them. The composed
 * reference cost a training step of the demo's LM ~6% (five elementwise passes, a concatenation
 * and a copy) and a BF16 model's decode step ~3% (its q and k are BF16 when they are rotated).
 */
final class CpuRope {
    private static final VectorSpecies<Float> SP = CpuElementwise.SP;

    private CpuRope() {}

    /** True when x and out are both F32 or both BF16, x has unit last stride and the tables and out are contiguous: the shapes this kernel takes. */
    static boolean supports(Tensor x, Tensor cos, Tensor sin, Tensor out) {
        return (x.dtype() == DType.F32 || x.dtype() == DType.BF16) && out.dtype() == x.dtype() && x.stride(3) == 1
                && out.isContiguous() && cos.isContiguous() && sin.isContiguous();
    }

    static void apply(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        int heads = x.size(1), len = x.size(2), d = x.size(3), half = d / 2;
        int positions = x.size(0) * len;
        boolean perBatch = cos.size(0) > 1;
        long xs0 = x.stride(0), xs1 = x.stride(1), xs2 = x.stride(2), xo = x.offset();
        long co = cos.offset(), so = sin.offset(), oo = out.offset();
        MemorySegment xm = CpuElementwise.seg(x), cm = CpuElementwise.seg(cos), sm = CpuElementwise.seg(sin), om = CpuElementwise.seg(out);
        boolean bf16 = x.dtype() == DType.BF16;
        int es = bf16 ? 2 : 4;
        // by position (b, l), all heads of it in turn: the position's cos/sin entries are loaded
        // once for its heads, and no row index is divided into (b, h, l) (three divisions a row
        // cost as much as the row's arithmetic at D = 32)
        CpuThreads.parallelFor(positions, Math.max(1, 16384 / (d * heads)), (start, end) -> {
            float[] rotated = bf16 ? new float[d] : null;
            for (int p = start; p < end; p++) {
                int b = p / len, l = p - b * len;
                long xPos = (xo + b * xs0 + l * xs2) * es, xHead = xs1 * es;
                long table = ((perBatch ? (long) b * len : 0) + l) * half * 4;
                long oPos = (oo + ((long) b * heads * len + l) * d) * es, oHead = (long) len * d * es;
                if (bf16) {
                    for (int h = 0; h < heads; h++) {
                        rowBf16(xm, xPos + h * xHead, cm, co * 4 + table, sm, so * 4 + table, om, oPos + h * oHead, half, inverse, rotated);
                    }
                } else {
                    heads(xm, xPos, xHead, cm, co * 4 + table, sm, so * 4 + table, om, oPos, oHead, heads, half, inverse);
                }
            }
        });
    }

    /**
     * The heads rows of one position (byte offsets), x's at xb + h·xh and out's at ob + h·oh, the
     * table vectors loaded once: o1 = x1·c − x2·s, o2 = x2·c + x1·s, with s negated for the inverse
     * (exact: x1·c − x2·(−s) and x1·c + x2·s are the same bits, as the reference computes them).
     */
    private static void heads(MemorySegment x, long xb, long xh, MemorySegment c, long cb, MemorySegment s, long sb,
                              MemorySegment o, long ob, long oh, int heads, int half, boolean inverse) {
        int full = half - half % SP.length(), i = 0;
        long hb = half * 4L;
        for (; i < full; i += SP.length()) {
            long at = i * 4L;
            FloatVector cv = FloatVector.fromMemorySegment(SP, c, cb + at, CpuElementwise.LE);
            FloatVector sv = FloatVector.fromMemorySegment(SP, s, sb + at, CpuElementwise.LE);
            if (inverse) sv = sv.neg();
            for (int h = 0; h < heads; h++) {
                long xr = xb + h * xh + at, or = ob + h * oh + at;
                FloatVector x1 = FloatVector.fromMemorySegment(SP, x, xr, CpuElementwise.LE);
                FloatVector x2 = FloatVector.fromMemorySegment(SP, x, xr + hb, CpuElementwise.LE);
                x1.mul(cv).sub(x2.mul(sv)).intoMemorySegment(o, or, CpuElementwise.LE);
                x2.mul(cv).add(x1.mul(sv)).intoMemorySegment(o, or + hb, CpuElementwise.LE);
            }
        }
        if (i < half) {
            for (int h = 0; h < heads; h++) tail(x, xb + h * xh, c, cb, s, sb, o, ob + h * oh, i, half, inverse);
        }
    }

    /** The scalar elements [from, half) of an F32 row: {@link #heads}' arithmetic one value at a time. */
    private static void tail(MemorySegment x, long xb, MemorySegment c, long cb, MemorySegment s, long sb,
                             MemorySegment o, long ob, int from, int half, boolean inverse) {
        long h = half * 4L;
        for (int i = from; i < half; i++) {
            long at = i * 4L;
            float x1 = x.get(Access.F, xb + at), x2 = x.get(Access.F, xb + h + at), cv = c.get(Access.F, cb + at), sv = s.get(Access.F, sb + at);
            if (inverse) sv = -sv;
            o.set(Access.F, ob + at, x1 * cv - x2 * sv);
            o.set(Access.F, ob + h + at, x2 * cv + x1 * sv);
        }
    }

    /**
     * One row of {@link #heads} for BF16 x and out: the halves widened to F32 vectors (exact), the same F32
     * arithmetic into {@code rotated}, each value rounded to nearest even on the store.
     */
    private static void rowBf16(MemorySegment x, long xb, MemorySegment c, long cb, MemorySegment s, long sb,
                                MemorySegment o, long ob, int half, boolean inverse, float[] rotated) {
        int full = half - half % SP.length(), i = 0;   // SP is GemmDecode's species: both the preferred one
        long h = half * 2L;
        for (; i < full; i += SP.length()) {
            FloatVector x1 = GemmDecode.bf16(x, xb + i * 2L), x2 = GemmDecode.bf16(x, xb + h + i * 2L);
            FloatVector cv = FloatVector.fromMemorySegment(SP, c, cb + i * 4L, CpuElementwise.LE);
            FloatVector sv = FloatVector.fromMemorySegment(SP, s, sb + i * 4L, CpuElementwise.LE);
            if (inverse) sv = sv.neg();
            x1.mul(cv).sub(x2.mul(sv)).intoArray(rotated, i);
            x2.mul(cv).add(x1.mul(sv)).intoArray(rotated, half + i);
        }
        for (; i < half; i++) {
            float x1 = DType.bf16ToFloat(x.get(GemmDecode.I16_LE, xb + i * 2L)), x2 = DType.bf16ToFloat(x.get(GemmDecode.I16_LE, xb + h + i * 2L));
            float cv = c.get(Access.F, cb + i * 4L), sv = s.get(Access.F, sb + i * 4L);
            if (inverse) sv = -sv;
            rotated[i] = x1 * cv - x2 * sv;
            rotated[half + i] = x2 * cv + x1 * sv;
        }
        for (int j = 0; j < 2 * half; j++) o.set(GemmDecode.I16_LE, ob + j * 2L, DType.floatToBf16(rotated[j]));
    }
}
