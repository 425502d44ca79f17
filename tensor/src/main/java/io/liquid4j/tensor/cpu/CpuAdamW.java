package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * AdamW in one pass: per element, read g, m, v and the weight (the F32 master, or the F32
 * parameter), write m, v, the weight and, with a master, the BF16 parameter; the same float
 * operations in the same order as {@code AdamWReference}. Chunks of the arrays run on the workers.
 */
final class CpuAdamW {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    private CpuAdamW() {}

    /** Whether this kernel handles these dtypes (F32 or BF16 param and grad). */
    static boolean handles(Tensor param, Tensor grad) {
        return (param.dtype() == DType.F32 || param.dtype() == DType.BF16) && (grad.dtype() == DType.F32 || grad.dtype() == DType.BF16);
    }

    /** The per-step constants of the update, as floats. */
    private record Coefficients(float decay, float b1, float c1, float b2, float c2, float sqrtBc2, float eps, float stepSize) {}

    /**
     * The vector part of [start, end) for the common case, an F32 gradient and no BF16 copy to
     * write: a loop with no per-call flag inside. Returns where the scalar tail starts.
     *
     * <p>Why a loop of its own, calling {@link #step}: with the dtype and decay flags tested inside
     * one shared loop, a VQGAN's training (30 parameter tensors of 3 to 147k elements, with and
     * without decay) tripped C2's profiled loop predication ~70 times in 200 steps, each trap a
     * recompile of the loop (45 s of compile time on a 2-core machine). The split alone, with the
     * update written out here, still tripped it ~45 times; in this form it did not trip in 300
     * steps (BENCHMARKS.md, "JIT recompilation storms").
     */
    private static int f32Vectors(int start, int end, MemorySegment gs, long go, MemorySegment ws, long wo, MemorySegment ms, long mo,
                                  MemorySegment vs, long vo, Coefficients k) {
        int i = start;
        for (; i <= end - W; i += W) {
            step(FloatVector.fromMemorySegment(S, gs, (go + i) * 4L, CpuElementwise.LE), i, ws, wo, ms, mo, vs, vo, k);
        }
        return i;
    }

    /** The vector part for mixed precision: a BF16 gradient, or an F32 master whose BF16 parameter is rewritten. */
    private static int mixedVectors(int start, int end, boolean gBf16, boolean writeBack, MemorySegment gs, long go, MemorySegment ws, long wo,
                                    MemorySegment ms, long mo, MemorySegment vs, long vo, MemorySegment ps, long po, Coefficients k) {
        int i = start;
        for (; i <= end - W; i += W) {
            FloatVector g = gBf16 ? GemmDecode.bf16(gs, (go + i) * 2L) : FloatVector.fromMemorySegment(S, gs, (go + i) * 4L, CpuElementwise.LE);
            FloatVector w = step(g, i, ws, wo, ms, mo, vs, vo, k);
            if (writeBack) CpuCrossEntropy.storeBf16(w, ps, (po + i) * 2L);
        }
        return i;
    }

    /** Updates W elements from i: m, v and the F32 weight written back; returns the new weight. */
    private static FloatVector step(FloatVector g, int i, MemorySegment ws, long wo, MemorySegment ms, long mo, MemorySegment vs, long vo,
                                    Coefficients k) {
        FloatVector w = FloatVector.fromMemorySegment(S, ws, (wo + i) * 4L, CpuElementwise.LE).mul(k.decay());
        FloatVector m = FloatVector.fromMemorySegment(S, ms, (mo + i) * 4L, CpuElementwise.LE).mul(k.b1()).add(g.mul(k.c1()));
        FloatVector v = FloatVector.fromMemorySegment(S, vs, (vo + i) * 4L, CpuElementwise.LE).mul(k.b2()).add(g.mul(g).mul(k.c2()));
        w = w.sub(m.div(v.sqrt().div(k.sqrtBc2()).add(k.eps())).mul(k.stepSize()));
        m.intoMemorySegment(ms, (mo + i) * 4L, CpuElementwise.LE);
        v.intoMemorySegment(vs, (vo + i) * 4L, CpuElementwise.LE);
        w.intoMemorySegment(ws, (wo + i) * 4L, CpuElementwise.LE);
        return w;
    }

    static void update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, F.AdamWStep s) {
        int n = Math.toIntExact(param.numel());
        Tensor weight = master != null ? master : param;
        MemorySegment ps = CpuElementwise.seg(param), gs = CpuElementwise.seg(grad), ms = CpuElementwise.seg(expAvg),
                vs = CpuElementwise.seg(expAvgSq), ws = CpuElementwise.seg(weight);
        long po = param.offset(), go = grad.offset(), mo = expAvg.offset(), vo = expAvgSq.offset(), wo = weight.offset();
        boolean gBf16 = grad.dtype() == DType.BF16, writeBack = master != null;
        // Without weight decay the factor is exactly 1f, and w * 1f == w: no branch needed for that case.
        float decay = (float) (1 - s.lr() * s.weightDecay()), b1 = (float) s.beta1(), b2 = (float) s.beta2();
        float c1 = (float) (1 - s.beta1()), c2 = (float) (1 - s.beta2()), eps = (float) s.eps();
        float sqrtBc2 = (float) Math.sqrt(s.biasCorrection2()), stepSize = (float) (s.lr() / s.biasCorrection1());
        Coefficients k = new Coefficients(decay, b1, c1, b2, c2, sqrtBc2, eps, stepSize);
        CpuThreads.parallelFor(n, 1 << 14, (start, end) -> {
            int i = gBf16 || writeBack
                    ? mixedVectors(start, end, gBf16, writeBack, gs, go, ws, wo, ms, mo, vs, vo, ps, po, k)
                    : f32Vectors(start, end, gs, go, ws, wo, ms, mo, vs, vo, k);
            for (; i < end; i++) {
                float g = gBf16 ? (float) Access.get(gs, DType.BF16, go + i) : gs.get(Access.F, (go + i) * 4L);
                float w = ws.get(Access.F, (wo + i) * 4L) * decay;
                float m = ms.get(Access.F, (mo + i) * 4L) * b1 + g * c1;
                float v = vs.get(Access.F, (vo + i) * 4L) * b2 + g * g * c2;
                w = w - m / ((float) Math.sqrt(v) / sqrtBc2 + eps) * stepSize;
                ms.set(Access.F, (mo + i) * 4L, m);
                vs.set(Access.F, (vo + i) * 4L, v);
                ws.set(Access.F, (wo + i) * 4L, w);
                if (writeBack) Access.put(ps, DType.BF16, po + i, w);
            }
        });
    }
}
