package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The stride-1 training convolution ({@code F.conv2dStride1}: forward and input gradient on the
 * inference kernels, the input gradient as a convolution with flipped, transposed filters)
 * against the composed im2col + GEMM path it replaces for F32: output and the gradients of
 * input, filters and bias, for Winograd-sized channels (≥ 16 in both directions), thin ones
 * (the implicit GEMM), even, wide and asymmetric kernels, padding from 0 to k − 1 and a
 * non-contiguous input.
 */
class ConvStride1TrainingTest {

    @ParameterizedTest(name = "n={0} c={1} o={2} {3}x{4} k={5}x{6} p={7},{8} bias={9}")
    @CsvSource({
            "2, 16, 16, 8, 8, 3, 3, 1, 1, true",      // Winograd both ways
            "3, 32, 16, 9, 7, 3, 3, 1, 1, true",      // odd sizes, Winograd
            "2, 3, 16, 8, 8, 3, 3, 1, 1, true",       // conv_in: 3 channels (implicit GEMM forward)
            "2, 16, 3, 8, 8, 3, 3, 1, 1, false",      // conv_out: 3 filters (implicit GEMM input gradient)
            "1, 4, 5, 6, 7, 3, 3, 0, 0, true",        // valid convolution: gradient padding 2
            "2, 4, 6, 5, 6, 2, 3, 1, 1, true",        // even kernel height
            "1, 3, 4, 6, 9, 3, 7, 1, 3, false",       // wide kernel
            "2, 5, 4, 7, 6, 5, 5, 2, 1, true"})       // asymmetric padding
    void matchesComposedPath(int n, int c, int o, int h, int w, int kh, int kw, int ph, int pw, boolean withBias) {
        Random r = new Random(n * 1000L + c * 100 + o * 10 + kh + kw + ph);
        Tensor x = rand(r, n, c, h, w), wt = rand(r, o, c, kh, kw), b = withBias ? rand(r, o) : null;
        int oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
        Tensor up = rand(r, n, o, oh, ow);                       // upstream gradient, via sum(y ⊙ up)
        Grads fused = run(x, wt, b, up, true, ph, pw, oh, ow), composed = run(x, wt, b, up, false, ph, pw, oh, ow);
        close(composed.y, fused.y, "output");
        close(composed.gx, fused.gx, "input gradient");
        close(composed.gw, fused.gw, "filter gradient");
        if (withBias) close(composed.gb, fused.gb, "bias gradient");
    }

    @org.junit.jupiter.api.Test
    void nonContiguousInput() {
        Random r = new Random(7);
        Tensor base = rand(r, 2, 16, 6, 8), wt = rand(r, 16, 16, 3, 3), up = rand(r, 2, 16, 8, 6);
        Tensor xt = base.permute(0, 1, 3, 2);                    // [2, 16, 8, 6], strided
        Grads fused = run(xt, wt, null, up, true, 1, 1, 8, 6), composed = run(xt, wt, null, up, false, 1, 1, 8, 6);
        close(composed.y, fused.y, "output");
        close(composed.gx, fused.gx, "input gradient");
        close(composed.gw, fused.gw, "filter gradient");
    }

    private record Grads(float[] y, float[] gx, float[] gw, float[] gb) {}

    private static Grads run(Tensor x0, Tensor w0, Tensor b0, Tensor up, boolean fused, int ph, int pw, int oh, int ow) {
        try (var _ = TensorScope.open()) {
            Tensor x = x0.detach().requiresGrad(true), w = w0.detach().requiresGrad(true), b = b0 == null ? null : b0.detach().requiresGrad(true);
            Tensor y = fused ? F.conv2dStride1(x, w, b, ph, pw, oh, ow) : F.conv2dComposed(x, w, b, 1, 1, ph, pw, oh, ow);
            y.mul(up).sum().backward();
            return new Grads(y.contiguous().toFloatArray(), x.grad().toFloatArray(), w.grad().toFloatArray(), b == null ? null : b.grad().toFloatArray());
        }
    }

    private static void close(float[] want, float[] got, String what) {
        assertArrayEquals(new int[] {want.length}, new int[] {got.length}, what + " size");
        double scale = 1e-6, err = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            err = Math.max(err, Math.abs(want[i] - got[i]));
        }
        assertTrue(err / scale < 2e-5, what + ": max error " + err + " against max magnitude " + scale);
    }

    private static Tensor rand(Random r, int... shape) {
        float[] a = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        return Tensor.fromArray(a, shape);
    }
}
