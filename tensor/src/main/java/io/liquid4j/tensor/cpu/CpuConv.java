package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * im2col / col2im for convolutions (contiguous F32). A convolution becomes one GEMM per image:
 * cols [C·kh·kw, OH·OW] is read once by the GEMM, so the extra memory traffic is one write and
 * one read of cols. Work splits over (image, channel) planes.
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
        long plane = (long) oh * ow;
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                long xb = xo + (long) nc * h * w;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki;
                            long rb = row + (long) oy * ow;
                            if (iy < 0 || iy >= h) {
                                cs.asSlice(rb * 4, ow * 4L).fill((byte) 0);
                                continue;
                            }
                            long xrow = xb + (long) iy * w;
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * sw - pw + kj;
                                cs.set(Access.F, (rb + ox) * 4, ix < 0 || ix >= w ? 0f : xs.get(Access.F, (xrow + ix) * 4));
                            }
                        }
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
        long plane = (long) oh * ow;
        // each (image, channel) plane of x receives only its own rows of cols: no write races
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                long xb = xo + (long) nc * h * w;
                xs.asSlice(xb * 4, (long) h * w * 4).fill((byte) 0);
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki;
                            if (iy < 0 || iy >= h) continue;
                            long rb = row + (long) oy * ow, xrow = xb + (long) iy * w;
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * sw - pw + kj;
                                if (ix < 0 || ix >= w) continue;
                                long at = (xrow + ix) * 4;
                                xs.set(Access.F, at, xs.get(Access.F, at) + cs.get(Access.F, (rb + ox) * 4));
                            }
                        }
                    }
                }
            }
        });
    }

    private static void check(Tensor x, Tensor cols) {
        if (x.dtype() != DType.F32 || cols.dtype() != DType.F32 || !x.isContiguous() || !cols.isContiguous() || x.dim() != 4) {
            throw new IllegalArgumentException("im2col/col2im need contiguous F32 [N,C,H,W] and cols, got " + x.describe() + " and " + cols.describe());
        }
    }
}
