package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.RopeTest;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The one-pass CPU rotary embedding against the rotate-half formula written out with elementwise
 * ops, bit for bit, in F32 and BF16: head dims below, at and past a vector's lanes (tails included), x as the
 * transposed view attention passes, tables per batch or shared, both directions. The build runs
 * it in both vector shapes (AVX-512's 16 lanes and AVX2's 8).
 */
class CpuRopeTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    @Test
    void matchesTheFormulaBitForBit() {
        for (DType type : new DType[] {DType.F32, DType.BF16}) {
            for (int d : new int[] {2, 8, 32, 34, 64, 74, 130}) {
                for (int tb : new int[] {1, 3}) {
                    try (var _ = TensorScope.open()) {
                        // [B, H, L, D] view of [B, L, H, D]; BF16 rows are computed in F32 and rounded once
                        Tensor x = Tensor.randn(new Generator(d + tb), 3, 7, 5, d).to(type).transpose(1, 2);
                        Tensor[] t = RopeTest.tables(tb, 7, d / 2, d * 10L + tb);
                        Tensor fwd = Tensor.empty(type, 3, 5, 7, d), inv = Tensor.empty(type, 3, 5, 7, d);
                        CPU.rope(x, t[0], t[1], false, fwd);
                        CPU.rope(x, t[0], t[1], true, inv);
                        String what = type + ", D " + d + ", table batch " + tb;
                        assertArrayEquals(RopeTest.formula(x, t[0], t[1]).to(type).toFloatArray(), fwd.toFloatArray(), "forward, " + what);
                        assertArrayEquals(RopeTest.formula(x, t[0], t[1].neg()).to(type).toFloatArray(), inv.toFloatArray(), "inverse, " + what);
                    }
                }
            }
        }
    }

    @Test
    void inverseUndoesTheRotation() {
        try (var _ = TensorScope.open()) {
            Tensor x = Tensor.randn(new Generator(4), 2, 4, 6, 48);
            Tensor[] t = RopeTest.tables(1, 6, 24, 8);
            Tensor y = Tensor.empty(DType.F32, 2, 4, 6, 48), back = Tensor.empty(DType.F32, 2, 4, 6, 48);
            CPU.rope(x, t[0], t[1], false, y);
            CPU.rope(y, t[0], t[1], true, back);
            float[] a = x.toFloatArray(), b = back.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                if (Math.abs(a[i] - b[i]) > 1e-5f * (1 + Math.abs(a[i]))) throw new AssertionError("element " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }
}
