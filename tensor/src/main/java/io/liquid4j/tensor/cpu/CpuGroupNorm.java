package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GroupNorm with its affine part and an optional SiLU in one write pass, and its backward in two.
 * Forward, per (image, group): two read passes for the mean and the variance (two-pass, as
 * {@link CpuRowOps#layerNorm}), then y = x·scale_c + shift_c (scale_c = rstd·w_c, shift_c = b_c −
 * mean·scale_c), optionally y·σ(y). The unfused sequence (layerNorm, ·w, +b, silu) read a 512²
 * VQGAN activation six times and wrote it four times; this reads it three times and writes it
 * once. Training keeps the mean and rstd per (image, group) for {@link #backward}.
 */
final class CpuGroupNorm {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    /** Vectors summed in f32 lanes before the lane sums move into doubles. */
    private static final int FLUSH = 256;

    private CpuGroupNorm() {}

    /** out = [silu](groupNorm(x) · w + b); x, out contiguous F32 [N, C, ...]; w, b [C] or null. */
    static void forward(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out) {
        forward(x, groups, w, b, eps, silu, out, null, null);
    }

    /**
     * {@link #forward} that also writes each (image, group)'s mean and rstd = 1/√(var + eps) into
     * mean and rstd (contiguous F32 [N, groups]; both null at inference).
     */
    static void forward(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out, Tensor mean, Tensor rstd) {
        Shape sh = Shape.of(x, groups, out, "forward");
        float[] wv = CpuRowOps.weights(w, sh.c), bv = CpuRowOps.weights(b, sh.c);
        float[] means = mean == null ? null : new float[sh.rows()], rstds = mean == null ? null : new float[sh.rows()];
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out);
        long xo = x.offset() * 4, oo = out.offset() * 4;
        int len = sh.len, hw = sh.hw, perGroup = sh.perGroup;
        CpuThreads.parallelFor(sh.rows(), 1, (start, end) -> {
            for (int r = start; r < end; r++) {
                long xb = xo + (long) r * len * 4, ob = oo + (long) r * len * 4;
                float mu = (float) (RowMath.sum(xs, xb, len) / len);
                double var = RowMath.sumSquaredDeviations(xs, xb, len, mu);
                float inv = (float) (1 / Math.sqrt(var / len + eps));
                if (means != null) {
                    means[r] = mu;
                    rstds[r] = inv;
                }
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
        if (mean != null) {
            checkStats(mean, rstd, sh.rows());
            MemorySegment.copy(means, 0, CpuElementwise.seg(mean), Access.F, mean.offset() * 4, sh.rows());
            MemorySegment.copy(rstds, 0, CpuElementwise.seg(rstd), Access.F, rstd.offset() * 4, sh.rows());
        }
    }

    /**
     * Gradients of {@link #forward} (with the mean and rstd it kept) from gy: gx is overwritten,
     * gw and gb (either may be null) accumulate. Per (image, group), with x̂ = (x − mean)·rstd,
     * z = x̂·w_c + b_c and dz = gy·silu'(z) (gy without the SiLU): the first pass writes
     * dx̂ = dz·w_c into gx and sums dx̂, dx̂·x̂ and, per channel, dz and dz·x̂; the second rewrites
     * gx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)). The per-channel sums of each (image, group) are
     * kept apart and added image by image afterwards, so gw and gb do not depend on the thread count.
     */
    static void backward(Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor mean, Tensor rstd, Tensor gy,
                         Tensor gx, Tensor gw, Tensor gb) {
        Shape sh = Shape.of(x, groups, gx, "backward");
        Shape.of(gy, groups, gx, "backward");
        checkStats(mean, rstd, sh.rows());
        float[] wv = CpuRowOps.weights(w, sh.c), bv = CpuRowOps.weights(b, sh.c);
        float[] means = mean.toFloatArray(), rstds = rstd.toFloatArray();
        int len = sh.len, hw = sh.hw, perGroup = sh.perGroup, rows = sh.rows();
        double[] sumDz = new double[rows * perGroup], sumDzXhat = new double[rows * perGroup];
        MemorySegment xs = CpuElementwise.seg(x), gs = CpuElementwise.seg(gy), os = CpuElementwise.seg(gx);
        long xo = x.offset() * 4, go = gy.offset() * 4, oo = gx.offset() * 4;
        CpuThreads.parallelFor(rows, 1, (start, end) -> {
            double[] lane = new double[4];
            for (int r = start; r < end; r++) {
                long rowAt = (long) r * len * 4;
                float mu = means[r], inv = rstds[r];
                double sumDxhat = 0, sumDxhatXhat = 0;
                for (int j = 0; j < perGroup; j++) {
                    int ch = (r % groups) * perGroup + j;
                    long at = rowAt + (long) j * hw * 4;
                    float wc = wv == null ? 1f : wv[ch], bc = bv == null ? 0f : bv[ch];
                    firstPass(xs, xo + at, gs, go + at, os, oo + at, hw, mu, inv, wc, bc, silu, lane);
                    sumDz[r * perGroup + j] = lane[0];
                    sumDzXhat[r * perGroup + j] = lane[1];
                    sumDxhat += lane[2];
                    sumDxhatXhat += lane[3];
                }
                secondPass(xs, xo + rowAt, os, oo + rowAt, len, mu, inv, (float) (sumDxhat / len), (float) (sumDxhatXhat / len));
            }
        });
        accumulate(gw, sumDzXhat, sh);
        accumulate(gb, sumDz, sh);
    }

    /** Sizes of a GroupNorm call: c channels, perGroup of them per group, hw elements per channel, len per group. */
    private record Shape(int n, int c, int groups, int perGroup, int hw, int len) {
        int rows() { return n * groups; }

        static Shape of(Tensor x, int groups, Tensor out, String pass) {
            for (Tensor t : new Tensor[] {x, out}) {
                if (t.dtype() != DType.F32 || !t.isContiguous()) throw new IllegalArgumentException("groupNorm " + pass + " needs contiguous F32, got " + t.describe());
            }
            if (x.dim() < 2 || !java.util.Arrays.equals(x.shape(), out.shape())) {
                throw new IllegalArgumentException("groupNorm " + pass + ": " + x.describe() + " and " + out.describe() + " differ");
            }
            int n = x.size(0), c = x.size(1);
            if (groups <= 0 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels are not divisible into " + groups + " groups");
            long plane = x.numel() / Math.max(1, (long) n * c);
            long rowLen = c / groups * plane;
            if (plane > Integer.MAX_VALUE || rowLen > Integer.MAX_VALUE) throw new IllegalArgumentException("groupNorm: group too large: " + rowLen);
            return new Shape(n, c, groups, c / groups, (int) plane, (int) rowLen);
        }
    }

    private static void checkStats(Tensor mean, Tensor rstd, int rows) {
        for (Tensor t : new Tensor[] {mean, rstd}) {
            if (t == null || t.dtype() != DType.F32 || !t.isContiguous() || t.numel() != rows) {
                throw new IllegalArgumentException("groupNorm statistics need contiguous F32 [N, groups] (" + rows + " values), got "
                        + (t == null ? "null" : t.describe()));
            }
        }
    }

    /** g[ch] += Σ over images of the (image, group) sums of channel ch, image by image. */
    private static void accumulate(Tensor g, double[] sums, Shape sh) {
        if (g == null) return;
        if (g.dtype() != DType.F32 || !g.isContiguous() || g.numel() != sh.c) {
            throw new IllegalArgumentException("groupNorm weight gradient needs contiguous F32 [" + sh.c + "], got " + g.describe());
        }
        float[] acc = g.toFloatArray();
        for (int ch = 0; ch < sh.c; ch++) {
            double s = acc[ch];
            for (int img = 0; img < sh.n; img++) s += sums[(img * sh.groups + ch / sh.perGroup) * sh.perGroup + ch % sh.perGroup];
            acc[ch] = (float) s;
        }
        MemorySegment.copy(acc, 0, CpuElementwise.seg(g), Access.F, g.offset() * 4, sh.c);
    }

    /**
     * One channel's hw elements: gx = dx̂ = dz·w_c; out[0..3] = Σ dz, Σ dz·x̂, Σ dx̂, Σ dx̂·x̂. Lane sums
     * are moved into doubles every {@link #FLUSH} vectors, so a 512² plane loses no precision to f32 sums.
     */
    private static void firstPass(MemorySegment x, long xb, MemorySegment g, long gb, MemorySegment out, long ob, int n,
                                  float mu, float inv, float wc, float bc, boolean silu, double[] sums) {
        int v = SP.length(), i = 0;
        double sDz = 0, sDzX = 0;
        while (i <= n - v) {
            FloatVector aDz = FloatVector.zero(SP), aDzX = FloatVector.zero(SP);
            for (int k = 0; k < FLUSH && i <= n - v; k++, i += v) {
                FloatVector xh = FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE).sub(mu).mul(inv);
                FloatVector dz = FloatVector.fromMemorySegment(SP, g, gb + i * 4L, CpuElementwise.LE);
                if (silu) {
                    FloatVector z = xh.fma(wc, bc), sg = CpuElementwise.sigmoid(z);
                    // silu'(z) = σ(z)·(1 + z·(1 − σ(z)))
                    dz = dz.mul(sg.mul(z.mul(sg.neg().add(1f)).add(1f)));
                }
                aDz = aDz.add(dz);
                aDzX = dz.fma(xh, aDzX);
                dz.mul(wc).intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
            }
            sDz += RowMath.sumLanes(aDz);
            sDzX += RowMath.sumLanes(aDzX);
        }
        for (; i < n; i++) {
            float xh = (x.get(Access.F, xb + i * 4L) - mu) * inv;
            float dz = g.get(Access.F, gb + i * 4L);
            if (silu) {
                float z = xh * wc + bc, sg = (float) (1 / (1 + Math.exp(-z)));
                dz *= sg * (1 + z * (1 - sg));
            }
            sDz += dz;
            sDzX += dz * xh;
            out.set(Access.F, ob + i * 4L, dz * wc);
        }
        sums[0] = sDz;
        sums[1] = sDzX;
        sums[2] = sDz * wc;
        sums[3] = sDzX * wc;
    }

    /** gx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) over a group's len elements, dx̂ read from gx. */
    private static void secondPass(MemorySegment x, long xb, MemorySegment out, long ob, int n, float mu, float inv,
                                   float meanDxhat, float meanDxhatXhat) {
        int v = SP.length(), i = 0;
        for (; i <= n - v; i += v) {
            FloatVector xh = FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE).sub(mu).mul(inv);
            FloatVector d = FloatVector.fromMemorySegment(SP, out, ob + i * 4L, CpuElementwise.LE);
            d.sub(meanDxhat).sub(xh.mul(meanDxhatXhat)).mul(inv).intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
        }
        for (; i < n; i++) {
            float xh = (x.get(Access.F, xb + i * 4L) - mu) * inv;
            float d = out.get(Access.F, ob + i * 4L);
            out.set(Access.F, ob + i * 4L, (d - meanDxhat - xh * meanDxhatXhat) * inv);
        }
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
