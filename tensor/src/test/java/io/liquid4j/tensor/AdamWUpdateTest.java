package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CPU's one-pass AdamW against the composed reference other backends inherit, over a few steps. */
class AdamWUpdateTest {
    @ParameterizedTest(name = "param {0}, grad {1}, wd {2}")
    @CsvSource({"F32, F32, 0.01", "F32, F32, 0", "F32, BF16, 0", "BF16, BF16, 0.1", "BF16, F32, 0"})
    void kernelMatchesReference(DType paramType, DType gradType, double wd) {
        int n = 1000 + 13;   // vector body and scalar tail
        Generator gen = new Generator(3);
        Tensor init = Tensor.randn(gen, n);
        Tensor[] a = state(init, paramType), b = state(init, paramType);
        for (int step = 1; step <= 3; step++) {
            Tensor g = Tensor.randn(new Generator(10 + step), n).to(gradType);
            F.AdamWStep s = new F.AdamWStep(1e-2, 0.9, 0.999, 1e-8, wd, 1 - Math.pow(0.9, step), 1 - Math.pow(0.999, step));
            F.adamwUpdate(a[0], g, a[1], a[2], a[3], s);
            AdamWReference.update(b[0], g, b[1], b[2], b[3], s);
        }
        for (int k = 0; k < 4; k++) {
            if (a[k] == null) continue;
            float[] x = a[k].to(DType.F32).toFloatArray(), y = b[k].to(DType.F32).toFloatArray();
            for (int i = 0; i < n; i++) {
                double tol = a[k].dtype() == DType.BF16 ? 1e-2 * Math.abs(y[i]) + 1e-6 : 1e-5 * Math.abs(y[i]) + 1e-7;
                assertEquals(y[i], x[i], tol, "tensor " + k + " element " + i);
            }
        }
    }

    /** {param, m, v, master or null}. */
    private static Tensor[] state(Tensor init, DType paramType) {
        Tensor p = init.to(paramType).clone();
        Tensor master = paramType == DType.F32 ? null : init.to(paramType).to(DType.F32).clone();
        return new Tensor[] {p, Tensor.zeros(init.numel() > 0 ? (int) init.numel() : 0), Tensor.zeros((int) init.numel()), master};
    }

    /** The multi-tensor form updates every slot exactly like one adamwUpdate per tensor (empty tensors included). */
    @org.junit.jupiter.api.Test
    void updateAllMatchesOneUpdatePerTensor() {
        DType[][] kinds = {{DType.F32, DType.F32}, {DType.BF16, DType.F32}, {DType.F32, DType.BF16}, {DType.F32, DType.F32}};
        int[] sizes = {37, 1000, 0, 5};
        Tensor[][] a = new Tensor[4][], b = new Tensor[4][];
        for (int t = 0; t < 4; t++) {
            Tensor init = Tensor.randn(new Generator(20 + t), sizes[t]);
            a[t] = state(init, kinds[t][0]);
            b[t] = state(init, kinds[t][0]);
        }
        for (int step = 1; step <= 2; step++) {
            F.AdamWStep s = new F.AdamWStep(1e-2, 0.9, 0.999, 1e-8, 0.05, 1 - Math.pow(0.9, step), 1 - Math.pow(0.999, step));
            java.util.List<F.AdamWSlot> slots = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Tensor g = Tensor.randn(new Generator(100 * step + t), sizes[t]).to(kinds[t][1]);
                slots.add(new F.AdamWSlot(a[t][0], g, a[t][1], a[t][2], a[t][3]));
                F.adamwUpdate(b[t][0], g, b[t][1], b[t][2], b[t][3], s);
            }
            F.adamwUpdateAll(slots, s);
        }
        for (int t = 0; t < 4; t++) {
            for (int k = 0; k < 4; k++) {
                if (a[t][k] == null) continue;
                assertEquals(java.util.Arrays.toString(b[t][k].to(DType.F32).toFloatArray()), java.util.Arrays.toString(a[t][k].to(DType.F32).toFloatArray()),
                        "slot " + t + " tensor " + k);
            }
        }
        F.adamwUpdateAll(java.util.List.of(), new F.AdamWStep(1e-3, 0.9, 0.999, 1e-8, 0, 0.1, 0.001));   // nothing to do
    }

    @org.junit.jupiter.api.Test
    void badArgumentsAreRejected() {
        Tensor p = Tensor.zeros(DType.BF16, 4), g = Tensor.zeros(4), m = Tensor.zeros(4), v = Tensor.zeros(4);
        F.AdamWStep s = new F.AdamWStep(1e-3, 0.9, 0.999, 1e-8, 0, 0.1, 0.001);
        assertThrows(IllegalArgumentException.class, () -> F.adamwUpdate(p, g, m, v, null, s), "BF16 without a master");
        assertThrows(IllegalArgumentException.class, () -> F.adamwUpdate(Tensor.zeros(4), Tensor.zeros(5), m, v, null, s));
        assertThrows(IllegalArgumentException.class, () -> F.adamwUpdateAll(java.util.List.of(new F.AdamWSlot(Tensor.zeros(4), Tensor.zeros(DType.I32, 4), m, v, null)), s),
                "an integer gradient");
    }
}
