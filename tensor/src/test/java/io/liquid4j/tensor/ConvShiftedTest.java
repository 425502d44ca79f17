package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The inference conv path (shifted tap GEMMs, no im2col) equals the autograd im2col path. */
class ConvShiftedTest {
    static void check(int n, int c, int h, int w, int o, int kh, int kw, int ph, int pw, boolean bias) {
        Generator g = new Generator(c * 31L + h);
        Tensor x = Tensor.randn(g, n, c, h, w), wt = Tensor.randn(g, o, c, kh, kw), b = bias ? Tensor.randn(g, o) : null;
        Tensor ref;
        try (var eg = GradMode.enableGrad()) {
            x.requiresGrad(true);
            ref = F.conv2d(x, wt, b, 1, 1, ph, pw).detach();       // im2col + GEMM (grad path)
            x.requiresGrad(false);
        }
        Tensor fast;
        try (var ng = GradMode.noGrad()) {
            fast = F.conv2d(x, wt, b, 1, 1, ph, pw);                // shifted taps
        }
        assertArrayEquals(ref.shape(), fast.shape());
        float[] r = ref.toFloatArray(), f = fast.toFloatArray();
        double maxErr = 0, scale = 1e-6;
        for (int i = 0; i < r.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(r[i] - f[i]));
            scale = Math.max(scale, Math.abs(r[i]));
        }
        assertTrue(maxErr / scale < 1e-5, "rel err " + maxErr / scale + " for c=" + c + " " + h + "x" + w + " k" + kh + "x" + kw + " pad " + ph + "," + pw);
    }

    @Test void matchesIm2colForVqganShapes() {
        check(1, 32, 9, 7, 24, 3, 3, 1, 1, true);
        check(2, 16, 5, 6, 8, 3, 3, 0, 0, false);
        check(1, 20, 4, 4, 3, 3, 2, 2, 0, true);
        check(1, 64, 16, 16, 64, 3, 3, 1, 1, true);
    }
}
