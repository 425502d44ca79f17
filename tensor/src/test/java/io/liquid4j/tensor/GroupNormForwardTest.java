package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The fused inference GroupNorm (+ affine, + optional SiLU) against the composed autograd path
 * (layerNorm over groups, ·w, +b, silu) and against a scalar double-precision reference.
 */
class GroupNormForwardTest {
    @ParameterizedTest(name = "n={0} c={1} {2}x{3} groups={4} affine={5} silu={6}")
    @CsvSource({
            "1, 32, 9, 7, 8, true, true",
            "2, 12, 5, 5, 3, true, false",
            "1, 6, 33, 1, 6, false, true",        // one channel per group, odd plane
            "3, 4, 2, 3, 1, false, false",        // one group over everything
            "1, 64, 16, 16, 32, true, true"})
    void fusedEqualsComposedAndReference(int n, int c, int h, int w, int groups, boolean affine, boolean silu) {
        Generator g = new Generator(n * 100L + c + h);
        Tensor x = Tensor.randn(g, n, c, h, w).mul(3).add(1.5);
        Tensor wt = affine ? Tensor.randn(g, c) : null, b = affine ? Tensor.randn(g, c) : null;
        Tensor composed;
        try (var _ = GradMode.enableGrad()) {
            x.requiresGrad(true);
            composed = (silu ? F.groupNormSilu(x, groups, wt, b, 1e-6) : F.groupNorm(x, groups, wt, b, 1e-6)).detach();
            x.requiresGrad(false);
        }
        Tensor fused;
        try (var _ = GradMode.noGrad()) {
            fused = silu ? F.groupNormSilu(x, groups, wt, b, 1e-6) : F.groupNorm(x, groups, wt, b, 1e-6);
        }
        assertArrayEquals(x.shape(), fused.shape());
        double[] want = reference(x.toFloatArray(), n, c, h * w, groups, wt == null ? null : wt.toFloatArray(),
                b == null ? null : b.toFloatArray(), silu);
        assertClose(want, fused.toFloatArray(), "fused");
        assertClose(want, composed.toFloatArray(), "composed");
    }

    @Test
    void badGroupCountIsRejected() {
        try (var _ = GradMode.noGrad()) {
            var e = assertThrows(IllegalArgumentException.class, () -> F.groupNormSilu(Tensor.zeros(1, 6, 2, 2), 4, null, null, 1e-6));
            assertTrue(e.getMessage().contains("not divisible"), e.getMessage());
        }
    }

    private static double[] reference(float[] x, int n, int c, int plane, int groups, float[] w, float[] b, boolean silu) {
        double[] y = new double[x.length];
        int per = c / groups, len = per * plane;
        for (int r = 0; r < n * groups; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < len; i++) mean += x[r * len + i];
            mean /= len;
            for (int i = 0; i < len; i++) var += (x[r * len + i] - mean) * (x[r * len + i] - mean);
            double inv = 1 / Math.sqrt(var / len + 1e-6);
            for (int i = 0; i < len; i++) {
                int ch = (r % groups) * per + i / plane;
                double v = (x[r * len + i] - mean) * inv * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                y[r * len + i] = silu ? v / (1 + Math.exp(-v)) : v;
            }
        }
        return y;
    }

    private static void assertClose(double[] want, float[] got, String what) {
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]) / (1 + Math.abs(want[i])));
        assertTrue(maxErr < 1e-5, what + ": max err " + maxErr);
    }
}
