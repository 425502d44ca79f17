package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The training GroupNorm ops (Backend.groupNormTrain / groupNormBackward) of the CPU backend
 * against their composed reference (GroupNormReference: layerNorm over the groups, the affine
 * part and the SiLU as tensor ops): outputs, statistics, the input gradient and the accumulated
 * weight and bias gradients. GradCheckOpsTest holds F.groupNorm and F.groupNormSilu to finite
 * differences.
 */
class GroupNormTrainingTest {
    @ParameterizedTest(name = "n={0} c={1} {2}x{3} groups={4} affine={5} silu={6}")
    @CsvSource({
            "2, 16, 8, 8, 8, true, true",         // the demo VQGAN's shape class
            "3, 12, 5, 7, 3, true, false",
            "1, 6, 33, 1, 6, false, true",        // one channel per group, a plane not a multiple of the vector width
            "2, 4, 2, 3, 1, false, false",        // one group over everything
            "2, 64, 32, 32, 32, true, true",      // long planes: lane sums flushed into doubles
            "1, 8, 3, 1, 2, true, true"})         // planes shorter than a vector
    void kernelMatchesTheComposedReference(int n, int c, int h, int w, int groups, boolean affine, boolean silu) {
        Generator gen = new Generator(31L * n + 7L * c + h * w + groups);
        Tensor x = Tensor.randn(gen, n, c, h, w).mul(2).add(0.7);
        Tensor wt = affine ? Tensor.randn(gen, c) : null, b = affine ? Tensor.randn(gen, c) : null;
        Tensor gy = Tensor.randn(gen, n, c, h, w);
        Backend cpu = x.backend();
        Run kernel = Run.of(x, groups, wt, b, silu, gy, affine, cpu::groupNormTrain, cpu::groupNormBackward);
        Run reference = Run.of(x, groups, wt, b, silu, gy, affine,
                (xx, g, ww, bb, e, s, o, m, r) -> GroupNormReference.forward(cpu, xx, g, ww, bb, e, s, o, m, r),
                (xx, g, ww, bb, s, m, r, dy, gx, gw, gb) -> GroupNormReference.backward(cpu, xx, g, ww, bb, s, m, r, dy, gx, gw, gb));
        assertClose(reference.out, kernel.out, 1e-5, "out");
        assertClose(reference.mean, kernel.mean, 1e-5, "mean");
        assertClose(reference.rstd, kernel.rstd, 1e-5, "rstd");
        assertClose(reference.gx, kernel.gx, 1e-4, "gx");
        if (affine) {
            assertClose(reference.gw, kernel.gw, 1e-4, "gw");
            assertClose(reference.gb, kernel.gb, 1e-4, "gb");
        }
    }

    @Test
    void weightGradientsAccumulateOntoWhatIsThere() {
        Generator gen = new Generator(5);
        Tensor x = Tensor.randn(gen, 2, 8, 4, 4), wt = Tensor.randn(gen, 8), b = Tensor.randn(gen, 8), gy = Tensor.randn(gen, 2, 8, 4, 4);
        Tensor out = Tensor.empty(DType.F32, 2, 8, 4, 4), mean = Tensor.empty(DType.F32, 2, 4), rstd = Tensor.empty(DType.F32, 2, 4);
        x.backend().groupNormTrain(x, 4, wt, b, 1e-5, true, out, mean, rstd);
        Tensor gx = Tensor.empty(DType.F32, 2, 8, 4, 4), fresh = Tensor.zeros(8), preset = Tensor.full(1.5, DType.F32, 8);
        x.backend().groupNormBackward(x, 4, wt, b, true, mean, rstd, gy, gx, fresh, null);
        x.backend().groupNormBackward(x, 4, wt, b, true, mean, rstd, gy, gx, preset, null);
        float[] f = fresh.toFloatArray(), p = preset.toFloatArray();
        for (int i = 0; i < 8; i++) assertEquals(f[i] + 1.5f, p[i], 1e-5f, "channel " + i);
    }

    @Test
    void gradientsDoNotDependOnTheThreadSplit() {
        // the per-(image, group) channel sums are added image by image after the parallel loop
        Generator gen = new Generator(9);
        Tensor x = Tensor.randn(gen, 5, 16, 6, 6), wt = Tensor.randn(gen, 16), b = Tensor.randn(gen, 16), gy = Tensor.randn(gen, 5, 16, 6, 6);
        Tensor y;
        try (var _ = GradMode.enableGrad()) {
            Tensor xv = x.detach().requiresGrad(true), wv = wt.detach().requiresGrad(true), bv = b.detach().requiresGrad(true);
            y = F.groupNormSilu(xv, 8, wv, bv, 1e-5);
            y.backward(gy);
            float[] gw1 = wv.grad().toFloatArray();
            wv.zeroGrad();
            F.groupNormSilu(xv, 8, wv, bv, 1e-5).backward(gy);
            assertArrayEquals(gw1, wv.grad().toFloatArray());
        }
    }

    @Test
    void mismatchedWeightIsRejected() {
        try (var _ = GradMode.enableGrad()) {
            Tensor x = Tensor.zeros(1, 6, 2, 2).requiresGrad(true);
            var e = assertThrows(IllegalArgumentException.class, () -> F.groupNorm(x, 3, Tensor.ones(4), null, 1e-6));
            assertTrue(e.getMessage().contains("[6]"), e.getMessage());
        }
    }

    @FunctionalInterface
    interface Forward {
        void run(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out, Tensor mean, Tensor rstd);
    }

    @FunctionalInterface
    interface Backward {
        void run(Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb);
    }

    private record Run(Tensor out, Tensor mean, Tensor rstd, Tensor gx, Tensor gw, Tensor gb) {
        static Run of(Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor gy, boolean affine, Forward fwd, Backward bwd) {
            int n = x.size(0), c = x.size(1);
            Tensor out = Tensor.empty(DType.F32, x.shape()), mean = Tensor.empty(DType.F32, n, groups), rstd = Tensor.empty(DType.F32, n, groups);
            fwd.run(x, groups, w, b, 1e-5, silu, out, mean, rstd);
            Tensor gx = Tensor.empty(DType.F32, x.shape());
            Tensor gw = affine ? Tensor.full(0.25, DType.F32, c) : null, gb = affine ? Tensor.full(-0.5, DType.F32, c) : null;
            bwd.run(x, groups, w, b, silu, mean, rstd, gy, gx, gw, gb);
            return new Run(out, mean, rstd, gx, gw, gb);
        }
    }

    private static void assertClose(Tensor want, Tensor got, double tol, String what) {
        float[] a = want.toFloatArray(), b = got.toFloatArray();
        assertEquals(a.length, b.length, what);
        double maxErr = 0;
        for (int i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]) / (1 + Math.abs(a[i])));
        assertTrue(maxErr < tol, what + ": max relative error " + maxErr);
    }
}
