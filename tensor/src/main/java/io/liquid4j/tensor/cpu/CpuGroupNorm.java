package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inference GroupNorm with its affine part and an optional SiLU in one write pass. Per (image,
 * group): two read passes for the mean and the variance (two-pass, as {@link CpuRowOps#layerNorm}),
 * then y = x·scale_c + shift_c (scale_c = rstd·w_c, shift_c = b_c − mean·scale_c), optionally
 * y·σ(y). The unfused sequence (layerNorm, ·w, +b, silu) read a 512² VQGAN activation six times
 * and wrote it four times; this reads it three times and writes it once.
 */
final class CpuGroupNorm {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private CpuGroupNorm() {}

    /** out = [silu](groupNorm(x) · w + b); x, out contiguous F32 [N, C, ...]; w, b [C] or null. */
    static void forward(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out) {
        for (Tensor t : new Tensor[] {x, out}) {
            if (t.dtype() != DType.F32 || !t.isContiguous()) throw new IllegalArgumentException("groupNorm forward needs contiguous F32, got " + t.describe());
        }
        if (x.dim() < 2 || !java.util.Arrays.equals(x.shape(), out.shape())) {
            throw new IllegalArgumentException("groupNorm forward: x " + x.describe() + " and out " + out.describe() + " differ");
        }
        int n = x.size(0), c = x.size(1);
        if (groups <= 0 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels are not divisible into " + groups + " groups");
        long plane = x.numel() / Math.max(1, (long) n * c);
        int perGroup = c / groups;
        long rowLen = perGroup * plane;
        if (plane > Integer.MAX_VALUE || rowLen > Integer.MAX_VALUE) throw new IllegalArgumentException("groupNorm: group too large: " + rowLen);
        float[] wv = CpuRowOps.weights(w, c), bv = CpuRowOps.weights(b, c);
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out);
        long xo = x.offset() * 4, oo = out.offset() * 4;
        int len = (int) rowLen, hw = (int) plane;
        CpuThreads.parallelFor(n * groups, 1, (start, end) -> {
            for (int r = start; r < end; r++) {
                long xb = xo + (long) r * len * 4, ob = oo + (long) r * len * 4;
                float mu = (float) (RowMath.sum(xs, xb, len) / len);
                double var = RowMath.sumSquaredDeviations(xs, xb, len, mu);
                float inv = (float) (1 / Math.sqrt(var / len + eps));
                for (int j = 0; j < perGroup; j++) {
                    int ch = (r % groups) * perGroup + j;
                    float scale = inv * (wv == null ? 1f : wv[ch]);
                    float shift = (bv == null ? 0f : bv[ch]) - mu * scale;
                    long at = (long) j * hw * 4;
                    if (silu) affineSilu(xs, xb + at, os, ob + at, hw, scale, shift);
                    else affine(xs, xb + at, os, ob + at, hw, scale, shift);
                }
            }
        });
    }

    /** out = x·scale + shift over n elements. */
    private static void affine(MemorySegment x, long xb, MemorySegment out, long ob, int n, float scale, float shift) {
        int w = SP.length(), i = 0;
        for (; i <= n - w; i += w) {
            FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE).fma(scale, shift)
                    .intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
        }
        for (; i < n; i++) out.set(Access.F, ob + i * 4L, x.get(Access.F, xb + i * 4L) * scale + shift);
    }

    /** out = y·σ(y), y = x·scale + shift, over n elements (a separate loop: no vector phi). */
    private static void affineSilu(MemorySegment x, long xb, MemorySegment out, long ob, int n, float scale, float shift) {
        int w = SP.length(), i = 0;
        for (; i <= n - w; i += w) {
            FloatVector y = FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE).fma(scale, shift);
            y.mul(CpuElementwise.sigmoid(y)).intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
        }
        for (; i < n; i++) {
            float y = x.get(Access.F, xb + i * 4L) * scale + shift;
            out.set(Access.F, ob + i * 4L, (float) (y / (1 + Math.exp(-y))));
        }
    }
}
