package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * im2col / col2im through the index map ({@link TapMap}) against the row-by-row loops, bit for
 * bit, over random geometries (kernel, stride, padding wider than the kernel's reach, planes
 * smaller than the kernel), and im2col against a naive definition written out here.
 */
class CpuConvMapTest {
    @Test
    void mappedAndRowPathsGiveTheSameBits() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(3), c = 1 + r.nextInt(4), h = 1 + r.nextInt(11), w = 1 + r.nextInt(11);
            int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4), sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
            int ph = r.nextInt(4), pw = r.nextInt(4);
            if (h + 2 * ph < kh || w + 2 * pw < kw) continue;
            int oh = CpuConv.outSize(h, kh, sh, ph), ow = CpuConv.outSize(w, kw, sw, pw);
            String g = String.format("n%d c%d %dx%d k%dx%d s%dx%d p%dx%d", n, c, h, w, kh, kw, sh, sw, ph, pw);
            try (var _ = TensorScope.open()) {
                Tensor x = Tensor.randn(new Generator(trial), n, c, h, w);
                Tensor mapped = Tensor.full(Float.NaN, DType.F32, n, c * kh * kw, oh * ow), rows = Tensor.full(Float.NaN, DType.F32, n, c * kh * kw, oh * ow);
                CpuConv.im2colMapped(x, kh, kw, sh, sw, ph, pw, mapped);
                CpuConv.im2colRows(x, kh, kw, sh, sw, ph, pw, rows);
                float[] m = mapped.toFloatArray();
                assertArrayEquals(rows.toFloatArray(), m, "im2col " + g);
                assertArrayEquals(naiveIm2col(x.toFloatArray(), n, c, h, w, kh, kw, sh, sw, ph, pw), m, "naive im2col " + g);

                Tensor cols = Tensor.randn(new Generator(1000 + trial), n, c * kh * kw, oh * ow);
                Tensor xm = Tensor.full(Float.NaN, DType.F32, n, c, h, w), xr = Tensor.full(Float.NaN, DType.F32, n, c, h, w);
                CpuConv.col2imMapped(cols, kh, kw, sh, sw, ph, pw, xm);
                CpuConv.col2imRows(cols, kh, kw, sh, sw, ph, pw, xr);
                assertArrayEquals(xr.toFloatArray(), xm.toFloatArray(), "col2im " + g);
            }
        }
    }

    @Test
    void mapsAreSharedPerGeometry() {
        int[] m = TapMap.of(32, 32, 3, 3, 1, 1, 1, 1);
        assertEquals(9 * 32 * 32, m.length);
        assertSame(m, TapMap.of(32, 32, 3, 3, 1, 1, 1, 1));
    }

    private static float[] naiveIm2col(float[] x, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
        int oh = CpuConv.outSize(h, kh, sh, ph), ow = CpuConv.outSize(w, kw, sw, pw);
        float[] out = new float[n * c * kh * kw * oh * ow];
        int t = 0;
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < c; ch++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int oy = 0; oy < oh; oy++) {
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * sh - ph + ki, ix = ox * sw - pw + kj;
                                out[t++] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0f : x[((img * c + ch) * h + iy) * w + ix];
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
}
