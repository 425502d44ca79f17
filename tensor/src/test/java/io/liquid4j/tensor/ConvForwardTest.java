package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inference convolution (no autograd: the backend's direct kernel, on the CPU an implicit-
 * im2col GEMM over phase planes) against a naive six-loop convolution in double, against the
 * composed reference other backends inherit and against the autograd im2col path, over strides, paddings, kernel shapes, batches and channel counts.
 */
class ConvForwardTest {
    record Case(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, boolean bias) {
        @Override public String toString() {
            return n + "x" + c + "x" + h + "x" + w + " -> " + o + " k" + kh + "x" + kw + " s" + sh + "x" + sw + " p" + ph + "x" + pw + (bias ? " +b" : "");
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case(1, 32, 9, 7, 24, 3, 3, 1, 1, 1, 1, true),       // ResnetBlock conv
                new Case(2, 16, 5, 6, 8, 3, 3, 1, 1, 0, 0, false),
                new Case(1, 20, 4, 4, 3, 3, 2, 1, 1, 2, 0, true),        // non-square kernel and padding, O < 4 (GEMV path)
                new Case(1, 64, 16, 16, 64, 3, 3, 1, 1, 1, 1, true),
                new Case(1, 3, 12, 10, 16, 3, 3, 1, 1, 1, 1, true),      // conv_in: 3 channels
                new Case(2, 12, 7, 9, 10, 1, 1, 1, 1, 0, 0, true),       // 1x1 (nin_shortcut, quant_conv): written in place
                new Case(1, 8, 9, 9, 8, 3, 3, 2, 2, 0, 0, true),         // Downsample after its asymmetric pad
                new Case(1, 8, 10, 10, 6, 3, 3, 2, 2, 1, 1, false),
                new Case(2, 5, 11, 8, 7, 4, 3, 3, 2, 1, 2, true),        // stride 3x2, 4x3 kernel
                new Case(1, 4, 6, 6, 5, 2, 2, 2, 2, 0, 0, true),         // patchify
                new Case(1, 6, 5, 5, 9, 5, 5, 1, 1, 2, 2, true),
                new Case(1, 40, 33, 35, 36, 3, 3, 1, 1, 1, 1, true),     // bigger than one GEMM block in N
                new Case(9, 3, 16, 16, 16, 3, 3, 1, 1, 1, 1, true),      // images go whole to the threads
                new Case(7, 16, 17, 17, 16, 3, 3, 2, 2, 0, 0, true))     // the same, strided
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesNaiveAndIm2col(Case k) {
        Generator g = new Generator(k.c() * 31L + k.h() * 7L + k.sh());
        Tensor x = Tensor.randn(g, k.n(), k.c(), k.h(), k.w()), wt = Tensor.randn(g, k.o(), k.c(), k.kh(), k.kw());
        Tensor b = k.bias() ? Tensor.randn(g, k.o()) : null;
        Tensor viaIm2col;
        try (var _ = GradMode.enableGrad()) {
            x.requiresGrad(true);
            viaIm2col = F.conv2d(x, wt, b, k.sh(), k.sw(), k.ph(), k.pw()).detach();
            x.requiresGrad(false);
        }
        Tensor fast;
        try (var _ = GradMode.noGrad()) {
            fast = F.conv2d(x, wt, b, k.sh(), k.sw(), k.ph(), k.pw());
        }
        Tensor reference = Tensor.empty(DType.F32, fast.shape());
        ConvReference.conv2d(x.backend(), x, wt, b, k.sh(), k.sw(), k.ph(), k.pw(), reference);   // what a backend without a kernel inherits
        double[] want = naive(k, x.toFloatArray(), wt.toFloatArray(), b == null ? null : b.toFloatArray());
        assertArrayEquals(viaIm2col.shape(), fast.shape());
        assertClose(want, reference.toFloatArray(), "reference " + k);
        assertClose(want, fast.toFloatArray(), "direct " + k);
        assertClose(want, viaIm2col.toFloatArray(), "im2col " + k);
    }

    /** Small images go whole to the threads: each image's output has the bits of that image convolved alone. */
    @ParameterizedTest(name = "stride {0}, kernel {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1, 3", "2, 3", "1, 1"})
    void imagesOnTheirOwnThreadsGiveTheBitsOfOneImage(int stride, int kernel) {
        Generator g = new Generator(stride * 5L + kernel);
        int n = 6;
        Tensor x = Tensor.randn(g, n, 3, 20, 20), wt = Tensor.randn(g, 8, 3, kernel, kernel), b = Tensor.randn(g, 8);
        try (var _ = GradMode.noGrad()) {
            float[] batch = F.conv2d(x, wt, b, stride, kernel / 2).toFloatArray();
            int per = batch.length / n;
            for (int i = 0; i < n; i++) {
                float[] one = F.conv2d(x.narrow(0, i, 1).contiguous(), wt, b, stride, kernel / 2).toFloatArray();
                assertArrayEquals(one, java.util.Arrays.copyOfRange(batch, i * per, (i + 1) * per), "image " + i);
            }
        }
    }

    /** The CPU's fused inference GroupNorm (+ SiLU) against the composed reference every other backend inherits. */
    @ParameterizedTest(name = "groups {0}, silu {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1, false", "4, true", "8, false", "8, true"})
    void groupNormKernelMatchesReference(int groups, boolean silu) {
        Generator g = new Generator(groups);
        Tensor x = Tensor.randn(g, 2, 16, 5, 7), w = Tensor.randn(g, 16), b = Tensor.randn(g, 16);
        Tensor fast = Tensor.empty(DType.F32, x.shape()), reference = Tensor.empty(DType.F32, x.shape());
        x.backend().groupNormForward(x, groups, w, b, 1e-5, silu, fast);
        GroupNormReference.inference(x.backend(), x, groups, w, b, 1e-5, silu, reference);
        double[] want = new double[(int) reference.numel()];
        float[] r = reference.toFloatArray();
        for (int i = 0; i < want.length; i++) want[i] = r[i];
        assertClose(want, fast.toFloatArray(), "groupNorm groups " + groups);
    }

    /** The fused upsample + conv (no grad) equals conv2d(upsampleNearest(x)) on the autograd path. */
    @ParameterizedTest(name = "c={0} o={1} {2}x{3} k={4} pad={5}")
    @org.junit.jupiter.params.provider.CsvSource({
            "16, 8, 5, 7, 3, 1",      // fused (Winograd on the upsampled image)
            "32, 24, 8, 8, 3, 1",
            "16, 4, 3, 3, 3, 0",      // not fused: padding 0
            "4, 6, 4, 5, 3, 1",       // not fused: few channels
            "16, 5, 4, 4, 1, 0"})     // not fused: 1x1
    void upsampleConvEqualsUpsampleThenConv(int c, int o, int h, int w, int k, int pad) {
        Generator g = new Generator(c * 13L + h);
        Tensor x = Tensor.randn(g, 2, c, h, w), wt = Tensor.randn(g, o, c, k, k), b = Tensor.randn(g, o);
        Tensor want;
        try (var _ = GradMode.enableGrad()) {
            x.requiresGrad(true);
            want = F.conv2d(F.upsampleNearest(x, 2), wt, b, 1, pad).detach();
            x.requiresGrad(false);
        }
        Tensor got;
        try (var _ = GradMode.noGrad()) {
            got = F.upsampleConv2d(x, 2, wt, b, pad);
        }
        assertArrayEquals(want.shape(), got.shape());
        float[] a = want.toFloatArray();
        double[] wd = new double[a.length];
        for (int i = 0; i < a.length; i++) wd[i] = a[i];
        assertClose(wd, got.toFloatArray(), "upsample+conv");
    }

    private static double[] naive(Case k, float[] x, float[] w, float[] b) {
        int oh = (k.h() + 2 * k.ph() - k.kh()) / k.sh() + 1, ow = (k.w() + 2 * k.pw() - k.kw()) / k.sw() + 1;
        double[] y = new double[k.n() * k.o() * oh * ow];
        for (int img = 0; img < k.n(); img++) {
            for (int o = 0; o < k.o(); o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = b == null ? 0 : b[o];
                        for (int c = 0; c < k.c(); c++) {
                            for (int i = 0; i < k.kh(); i++) {
                                for (int j = 0; j < k.kw(); j++) {
                                    int iy = oy * k.sh() - k.ph() + i, ix = ox * k.sw() - k.pw() + j;
                                    if (iy < 0 || iy >= k.h() || ix < 0 || ix >= k.w()) continue;
                                    s += (double) x[((img * k.c() + c) * k.h() + iy) * k.w() + ix] * w[((o * k.c() + c) * k.kh() + i) * k.kw() + j];
                                }
                            }
                        }
                        y[((img * k.o() + o) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    private static void assertClose(double[] want, float[] got, String what) {
        assertTrue(want.length == got.length, what + ": " + got.length + " outputs, want " + want.length);
        double maxErr = 0, scale = 1e-6;
        for (int i = 0; i < want.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(maxErr / scale < 1e-5, what + ": rel err " + maxErr / scale);
    }
}
