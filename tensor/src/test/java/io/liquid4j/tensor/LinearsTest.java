package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** Rows of the test weights: 1000 spans several parallel chunks, 517 ends in a partial group of 8 rows. */
    private static final int[] ROWS = {1000, 24, 517};

    /** Same dtype, shape and bits (assertArrayEquals without a delta compares float bits). */
    private static void assertBits(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), what);
    }

    /**
     * Without a gradient F.linears is one Backend.linears call (one parallel job over all the
     * weights on the CPU, for decode-sized inputs): each output bit for bit what F.linear gives,
     * for every weight dtype, for m on either side of the decode path's limits (32 rows for F32
     * W, 128 for 16-bit W), for x of three dims and for a BF16 x (whose outputs are BF16).
     */
    @Test
    void withoutGradientEachOutputHasTheBitsOfItsOwnProduct() {
        Generator gen = new Generator(11);
        int k = 256;
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Tensor[] w = new Tensor[ROWS.length];
            for (int i = 0; i < w.length; i++) w[i] = Tensor.randn(gen, DType.F32, Device.CPU, ROWS[i], k).mul(0.05).to(type).unscoped();
            for (int m : new int[] {1, 2, 3, 5, 8, 40, 200}) {
                try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                    Tensor x = Tensor.randn(gen, DType.F32, Device.CPU, m, k);
                    Tensor[] y = F.linears(x, w);
                    for (int i = 0; i < w.length; i++) assertBits(F.linear(x, w[i], null), y[i], type + " m=" + m + " output " + i);
                }
            }
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                Tensor x3 = Tensor.randn(gen, DType.F32, Device.CPU, 2, 3, k), x16 = x3.to(DType.BF16);
                Tensor[] y3 = F.linears(x3, w), y16 = F.linears(x16, w);
                for (int i = 0; i < w.length; i++) {
                    assertBits(F.linear(x3, w[i], null), y3[i], type + " x [2, 3, k] output " + i);
                    assertBits(F.linear(x16, w[i], null), y16[i], type + " BF16 x output " + i);
                }
            }
            for (Tensor t : w) t.close();
        }
    }

    /**
     * The same for quantized weights (F.linears over QuantizedWeight, one Backend.linearsQuantized
     * call): each output bit for bit what F.linear gives, Q8_0 and Q4_0, for m in and past the
     * register-row loops and past QuantGemv's 64 rows; weights of mixed formats too.
     */
    @Test
    void quantizedWithoutGradientEachOutputHasTheBitsOfItsOwnProduct() {
        Generator gen = new Generator(12);
        int k = 512;
        QuantizedWeight[][] sets = new QuantizedWeight[3][ROWS.length];
        for (int i = 0; i < ROWS.length; i++) {
            Tensor w = Tensor.randn(gen, DType.F32, Device.CPU, ROWS[i], k).mul(0.05).unscoped();
            sets[0][i] = QuantizedWeight.quantize(w, QuantFormat.Q8_0);
            sets[1][i] = QuantizedWeight.quantize(w, QuantFormat.Q4_0);
            sets[2][i] = sets[i % 2][i];
            w.close();
        }
        for (QuantizedWeight[] ws : sets) {
            for (int m : new int[] {1, 2, 3, 4, 5, 8, 9, 64, 65}) {
                try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                    Tensor x = Tensor.randn(gen, DType.F32, Device.CPU, 1, m, k);
                    Tensor[] y = F.linears(x, ws);
                    for (int i = 0; i < ws.length; i++) {
                        assertBits(F.linear(x, ws[i], null), y[i], ws[i].format().id() + " m=" + m + " output " + i);
                    }
                }
            }
        }
    }

    @Test
    void noWeightsNoOutputs() {
        Tensor x = Tensor.randn(new Generator(4), DType.F32, Device.CPU, 2, 8);
        try (var _ = GradMode.noGrad()) {
            assertEquals(0, F.linears(x, new Tensor[0]).length);
            assertEquals(0, F.linears(x, new QuantizedWeight[0]).length);
            x.backend().linears(x, new Tensor[0], new Tensor[0]);
            x.backend().linearsQuantized(x, new QuantizedWeight[0], new Tensor[0]);
        }
    }

    @Test
    void aWeightOfAnotherWidthIsNamed() {
        Tensor x = Tensor.randn(new Generator(3), DType.F32, Device.CPU, 2, 8);
        Tensor a = Tensor.zeros(4, 8), b = Tensor.zeros(4, 6);
        try (var _ = GradMode.noGrad()) {
            var e = assertThrows(IllegalArgumentException.class, () -> F.linears(x, a, b));
            assertTrue(e.getMessage().contains("weight 1"), e.getMessage());
            QuantizedWeight qa = QuantizedWeight.quantize(Tensor.zeros(4, 32), QuantFormat.Q8_0);
            QuantizedWeight qb = QuantizedWeight.quantize(Tensor.zeros(4, 64), QuantFormat.Q8_0);
            var q = assertThrows(IllegalArgumentException.class, () -> F.linears(Tensor.zeros(1, 32), qa, qb));
            assertTrue(q.getMessage().contains("weight 1"), q.getMessage());
        }
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
