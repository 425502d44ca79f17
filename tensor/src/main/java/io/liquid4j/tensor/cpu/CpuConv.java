package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * im2col / col2im for convolutions (contiguous F32). A convolution becomes one GEMM per image:
 * cols [C·kh·kw, OH·OW] is read once by the GEMM, so the extra memory traffic is one write and
 * one read of cols. Work splits over (image, channel) planes, each staged in a Java array.
 */
final class CpuConv {
    private CpuConv() {}

    static int outSize(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

    static void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        check(x, cols);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        MemorySegment xs = CpuElementwise.seg(x), cs = CpuElementwise.seg(cols);
        long xo = x.offset(), co = cols.offset();
        int plane = checkedPlane(oh, ow);
        // per (image, channel): the input plane in an array, each tap's [OH·OW] row built there
        // and copied out whole (element-wise segment access cost a third of a VQGAN training step)
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            float[] in = new float[h * w], tap = new float[plane];
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                MemorySegment.copy(xs, Access.F, (xo + (long) nc * h * w) * 4, in, 0, h * w);
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki, rb = oy * ow;
                            if (iy < 0 || iy >= h) {
                                Arrays.fill(tap, rb, rb + ow, 0f);
                                continue;
                            }
                            int lo = validFrom(pw, kj, sw, ow), hi = validTo(w, pw, kj, sw, ow), xrow = iy * w;
                            Arrays.fill(tap, rb, rb + lo, 0f);
                            if (sw == 1 && hi > lo) {
                                System.arraycopy(in, xrow + lo - pw + kj, tap, rb + lo, hi - lo);
                            } else {
                                for (int ox = lo; ox < hi; ox++) tap[rb + ox] = in[xrow + ox * sw - pw + kj];
                            }
                            Arrays.fill(tap, rb + Math.max(lo, hi), rb + ow, 0f);
                        }
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        MemorySegment.copy(tap, 0, cs, Access.F, row * 4, plane);
                    }
                }
            }
        });
    }

    static void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        check(x, cols);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        MemorySegment xs = CpuElementwise.seg(x), cs = CpuElementwise.seg(cols);
        long xo = x.offset(), co = cols.offset();
        int plane = checkedPlane(oh, ow);
        // each (image, channel) plane of x receives only its own rows of cols: no write races;
        // it is summed in an array and written once
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            float[] acc = new float[h * w], tap = new float[plane];
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                Arrays.fill(acc, 0f);
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        MemorySegment.copy(cs, Access.F, row * 4, tap, 0, plane);
                        int lo = validFrom(pw, kj, sw, ow), hi = validTo(w, pw, kj, sw, ow);
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki;
                            if (iy < 0 || iy >= h) continue;
                            int rb = oy * ow, xrow = iy * w - pw + kj;
                            for (int ox = lo; ox < hi; ox++) acc[xrow + ox * sw] += tap[rb + ox];
                        }
                    }
                }
                MemorySegment.copy(acc, 0, xs, Access.F, (xo + (long) nc * h * w) * 4, h * w);
            }
        });
    }

    /** First output column whose input column ox·sw − pw + kj is ≥ 0 (ow where none is: padding wider than the output). */
    private static int validFrom(int pw, int kj, int sw, int ow) { return Math.min(ow, Math.max(0, Math.ceilDiv(pw - kj, sw))); }

    /** One past the last output column (below ow) whose input column ox·sw − pw + kj is < w. */
    private static int validTo(int w, int pw, int kj, int sw, int ow) {
        return Math.min(ow, Math.max(0, Math.ceilDiv(w + pw - kj, sw)));
    }

    private static int checkedPlane(int oh, int ow) {
        long p = (long) oh * ow;
        if (p > Integer.MAX_VALUE) throw new IllegalArgumentException("im2col: output plane of " + oh + "x" + ow + " is too large");
        return (int) p;
    }

    private static void check(Tensor x, Tensor cols) {
        if (x.dtype() != DType.F32 || cols.dtype() != DType.F32 || !x.isContiguous() || !cols.isContiguous() || x.dim() != 4) {
            throw new IllegalArgumentException("im2col/col2im need contiguous F32 [N,C,H,W] and cols, got " + x.describe() + " and " + cols.describe());
        }
    }
}
