package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * F.linears, the products of several weights over one input as one GEMM: outputs and every
 * gradient equal the separate F.linear products (its composed reference), across two backward
 * passes (the weights' gradients accumulate), when an output takes no part in the loss, and when
 * it is the only one that does; outside training it is the separate products. GradCheckOpsTest
 * checks it against finite differences.
 */
class LinearsTest {
    private static Tensor leaf(Tensor t) {
        return t.detach().unscoped().requiresGrad(true);
    }

    /** Weights of 6, 3 and 4 rows over x [2, 3, 5]; loss Σ_i used_i · Σ(y_i ⊙ r_i), fused and separate. */
    private static void compare(boolean[] used) {
        Generator gen = new Generator(5);
        int[] outs = {6, 3, 4};
        Tensor x = leaf(Tensor.randn(gen, DType.F32, Device.CPU, 2, 3, 5)), xs = leaf(x);
        Tensor[] w = new Tensor[3], ws = new Tensor[3], r = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            w[i] = leaf(Tensor.randn(gen, DType.F32, Device.CPU, outs[i], 5));
            ws[i] = leaf(w[i]);
            r[i] = Tensor.randn(gen, DType.F32, Device.CPU, 2, 3, outs[i]).unscoped();
        }
        for (int pass = 1; pass <= 2; pass++) {
            try (var _ = TensorScope.open()) {
                Tensor[] y = F.linears(x, w);
                Tensor loss = null, lossS = null;
                for (int i = 0; i < 3; i++) {
                    Tensor ys = F.linear(xs, ws[i], null);
                    assertArrayEquals(ys.toFloatArray(), y[i].toFloatArray(), 1e-6f, "output " + i);
                    assertArrayEquals(new int[] {2, 3, outs[i]}, y[i].shape());
                    if (!used[i]) continue;
                    loss = loss == null ? y[i].mul(r[i]).sum() : loss.add(y[i].mul(r[i]).sum());
                    lossS = lossS == null ? ys.mul(r[i]).sum() : lossS.add(ys.mul(r[i]).sum());
                }
                loss.backward();
                lossS.backward();
            }
            assertArrayEquals(xs.grad().toFloatArray(), x.grad().toFloatArray(), 1e-5f, "input gradient, pass " + pass);
            for (int i = 0; i < 3; i++) {
                if (!used[i] && ws[i].grad() == null) {
                    // separately, an unused weight gets no gradient; stacked, it gets zeros
                    for (float v : w[i].grad().toFloatArray()) assertEquals(0f, v, "weight " + i + " takes no part in the loss");
                    continue;
                }
                assertArrayEquals(ws[i].grad().toFloatArray(), w[i].grad().toFloatArray(), 1e-5f, "weight " + i + " gradient, pass " + pass);
            }
        }
    }

    @Test
    void outputsAndGradientsEqualTheSeparateProducts() {
        compare(new boolean[] {true, true, true});
    }

    @Test
    void anOutputOutsideTheLossGetsAZeroGradient() {
        compare(new boolean[] {true, false, true});
        compare(new boolean[] {false, true, false});
    }

    @Test
    void outsideTrainingItIsTheSeparateProducts() {
        Generator gen = new Generator(7);
        Tensor x = Tensor.randn(gen, DType.F32, Device.CPU, 4, 5);
        Tensor a = leaf(Tensor.randn(gen, DType.F32, Device.CPU, 3, 5)), b = Tensor.randn(gen, DType.F32, Device.CPU, 2, 5).to(DType.BF16);
        try (var _ = GradMode.noGrad()) {
            Tensor[] y = F.linears(x, a, a);
            assertNull(y[0].gradFn());
            assertArrayEquals(F.linear(x, a, null).toFloatArray(), y[1].toFloatArray());
        }
        // a 16-bit weight: not fused, each product as F.linear takes it
        Tensor[] y = F.linears(x, a, b);
        assertArrayEquals(F.linear(x, b, null).toFloatArray(), y[1].toFloatArray());
    }
}
