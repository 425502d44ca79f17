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

    static void update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, F.AdamWStep s) {
        int n = Math.toIntExact(param.numel());
        Tensor weight = master != null ? master : param;
        MemorySegment ps = CpuElementwise.seg(param), gs = CpuElementwise.seg(grad), ms = CpuElementwise.seg(expAvg),
                vs = CpuElementwise.seg(expAvgSq), ws = CpuElementwise.seg(weight);
        long po = param.offset(), go = grad.offset(), mo = expAvg.offset(), vo = expAvgSq.offset(), wo = weight.offset();
        boolean gBf16 = grad.dtype() == DType.BF16, writeBack = master != null;
        float decay = (float) (1 - s.lr() * s.weightDecay()), b1 = (float) s.beta1(), b2 = (float) s.beta2();
        float c1 = (float) (1 - s.beta1()), c2 = (float) (1 - s.beta2()), eps = (float) s.eps();
        float sqrtBc2 = (float) Math.sqrt(s.biasCorrection2()), stepSize = (float) (s.lr() / s.biasCorrection1());
        boolean decays = s.weightDecay() != 0;
        CpuThreads.parallelFor(n, 1 << 14, (start, end) -> {
            int i = start;
            for (; i <= end - W; i += W) {
                FloatVector g = gBf16 ? GemmDecode.bf16(gs, (go + i) * 2L) : FloatVector.fromMemorySegment(S, gs, (go + i) * 4L, CpuElementwise.LE);
                FloatVector w = FloatVector.fromMemorySegment(S, ws, (wo + i) * 4L, CpuElementwise.LE);
                if (decays) w = w.mul(decay);
                FloatVector m = FloatVector.fromMemorySegment(S, ms, (mo + i) * 4L, CpuElementwise.LE).mul(b1).add(g.mul(c1));
                FloatVector v = FloatVector.fromMemorySegment(S, vs, (vo + i) * 4L, CpuElementwise.LE).mul(b2).add(g.mul(g).mul(c2));
                w = w.sub(m.div(v.sqrt().div(sqrtBc2).add(eps)).mul(stepSize));
                m.intoMemorySegment(ms, (mo + i) * 4L, CpuElementwise.LE);
                v.intoMemorySegment(vs, (vo + i) * 4L, CpuElementwise.LE);
                w.intoMemorySegment(ws, (wo + i) * 4L, CpuElementwise.LE);
                if (writeBack) CpuCrossEntropy.storeBf16(w, ps, (po + i) * 2L);
            }
            for (; i < end; i++) {
                float g = gBf16 ? (float) Access.get(gs, DType.BF16, go + i) : gs.get(Access.F, (go + i) * 4L);
                float w = ws.get(Access.F, (wo + i) * 4L);
                if (decays) w = w * decay;
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
