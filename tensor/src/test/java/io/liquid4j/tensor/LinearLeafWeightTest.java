package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * F.linear with a trainable F32 leaf weight writes the weight's gradient itself (into w.grad(),
 * accumulating across backward passes): it must equal the composed x.matmul(w.t()) gradients,
 * which a non-leaf weight (w·1) still takes. GradCheckOpsTest checks it against finite differences.
 */
class LinearLeafWeightTest {
    @Test
    void gradientsEqualTheComposedProductsAndAccumulate() {
        Generator gen = new Generator(3);
        Tensor w = Tensor.randn(gen, DType.F32, Device.CPU, 6, 5).unscoped().requiresGrad(true);
        Tensor x = Tensor.randn(gen, DType.F32, Device.CPU, 2, 3, 5).unscoped().requiresGrad(true);
        Tensor r = Tensor.randn(gen, DType.F32, Device.CPU, 2, 3, 6).unscoped();
        Tensor wc = w.detach().unscoped().requiresGrad(true);
        Tensor xc = x.detach().unscoped().requiresGrad(true);
        for (int pass = 1; pass <= 2; pass++) {
            try (var _ = TensorScope.open()) {
                F.linear(x, w, null).mul(r).sum().backward();
                F.linear(xc, wc.mul(1), null).mul(r).sum().backward();     // a non-leaf weight: the composed matmul
            }
            assertArrayEquals(wc.grad().toFloatArray(), w.grad().toFloatArray(), 1e-5f, "weight gradient, pass " + pass);
            assertArrayEquals(xc.grad().toFloatArray(), x.grad().toFloatArray(), 1e-5f, "input gradient, pass " + pass);
        }
        assertEquals(DType.F32, w.grad().dtype());
        assertArrayEquals(new int[] {6, 5}, w.grad().shape());
    }
}
