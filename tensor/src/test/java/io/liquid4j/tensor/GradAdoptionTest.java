package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * A leaf's first gradient may become its .grad without a copy (Tensor.accumulateGrad adopts a
 * temporary that no other tensor holds): these are the cases where it must not, or where an
 * adopted gradient must still behave like a copy.
 */
class GradAdoptionTest {
    private static Tensor leaf(float... v) { return Tensor.fromArray(v, v.length).unscoped().requiresGrad(true); }

    @Test
    void twoLeavesGivenTheSameGradientGetSeparateMemory() {
        Tensor a = leaf(1, 2, 3), b = leaf(4, 5, 6);
        try (var _ = TensorScope.open()) {
            a.add(b).mul(Tensor.fromArray(new float[] {1, 2, 3}, 3)).sum().backward();   // add's backward hands both the same g
        }
        a.grad().mulInPlace(10);
        assertArrayEquals(new float[] {10, 20, 30}, a.grad().toFloatArray(), 0f);
        assertArrayEquals(new float[] {1, 2, 3}, b.grad().toFloatArray(), 0f);
    }

    @Test
    void theCallersOutputGradientIsCopiedNotAdopted() {
        Tensor x = leaf(1, 2);
        Tensor g = Tensor.fromArray(new float[] {5, 7}, 2).unscoped();
        x.backward(g);                                    // the root is the leaf: its gradient is the caller's tensor
        g.mulInPlace(0);
        assertArrayEquals(new float[] {5, 7}, x.grad().toFloatArray(), 0f);
    }

    @Test
    void anAdoptedGradientOutlivesItsScopeAndAccumulates() {
        Tensor w = leaf(1, -2, 3);
        for (int step = 0; step < 2; step++) {
            try (var _ = TensorScope.open()) {
                w.mul(w).sum().backward();                   // d/dw Σ w² = 2w, a fresh temporary the first time
            }
        }
        assertArrayEquals(new float[] {4, -8, 12}, w.grad().toFloatArray(), 0f);
        w.zeroGrad();
        try (var _ = TensorScope.open()) {
            w.sum().backward();                             // expand's gradient of ones
        }
        assertArrayEquals(new float[] {1, 1, 1}, w.grad().toFloatArray(), 0f);
    }
}
