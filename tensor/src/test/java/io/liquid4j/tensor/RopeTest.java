package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** F.rope (the fused rotary embedding) against the rotate-half formula written out, its gradient, dtypes and argument checks. */
public class RopeTest {
    /** cos/sin tables [b, 1, l, half] of arbitrary angles. */
    public static Tensor[] tables(int b, int l, int half, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] c = new float[b * l * half], s = new float[c.length];
        for (int i = 0; i < c.length; i++) {
            double a = r.nextDouble() * 20 - 10;
            c[i] = (float) Math.cos(a);
            s[i] = (float) Math.sin(a);
        }
        return new Tensor[] {Tensor.fromArray(c, b, 1, l, half), Tensor.fromArray(s, b, 1, l, half)};
    }

    public static Tensor formula(Tensor x, Tensor cos, Tensor sin) {
        int half = x.size(-1) / 2;
        Tensor x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
        return Tensor.cat(-1, x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin)));
    }

    @Test
    void matchesTheFormulaThroughViewsAndBroadcastTables() {
        try (var _ = TensorScope.open()) {
            Tensor base = Tensor.randn(new Generator(1), 2, 5, 3, 8);         // [B, L, H, D]
            Tensor x = base.transpose(1, 2);                                   // [B, H, L, D] view, as in Attention
            for (int tb : new int[] {2, 1}) {
                Tensor[] t = tables(tb, 5, 4, tb);
                assertArrayEquals(formula(x, t[0], t[1]).toFloatArray(), F.rope(x, t[0], t[1]).toFloatArray(), "tables with batch " + tb);
            }
        }
    }

    @Test
    void keepsTheInputDtype() {
        try (var _ = TensorScope.open()) {
            Tensor x = Tensor.randn(new Generator(2), 1, 2, 3, 6).to(DType.BF16);
            Tensor[] t = tables(1, 3, 3, 5);
            Tensor y = F.rope(x, t[0], t[1]);
            assertEquals(DType.BF16, y.dtype());
            assertArrayEquals(formula(x, t[0], t[1]).to(DType.BF16).toFloatArray(), y.toFloatArray(), "computed in F32, rounded once");
        }
    }

    @Test
    void gradientIsTheInverseRotation() {
        Tensor[] t = tables(2, 3, 2, 9);
        GradCheckOpsTest.check(x -> F.rope(x[0].transpose(1, 2), t[0], t[1]), GradCheckOpsTest.in(3, -2, 2, 2, 3, 2, 4));
    }

    @Test
    void badArgumentsAreRejected() {
        try (var _ = TensorScope.open()) {
            Tensor x = Tensor.zeros(1, 2, 3, 4);
            Tensor[] t = tables(1, 3, 2, 1);
            assertThrows(IllegalArgumentException.class, () -> F.rope(Tensor.zeros(1, 2, 3, 5), t[0], t[1]), "odd head dim");
            assertThrows(IllegalArgumentException.class, () -> F.rope(x, tables(1, 4, 2, 1)[0], t[1]), "table of another length");
            assertThrows(IllegalArgumentException.class, () -> F.rope(x, t[0].to(DType.BF16), t[1]), "BF16 table");
            assertThrows(IllegalArgumentException.class, () -> F.rope(Tensor.zeros(DType.I32, 1, 2, 3, 4), t[0], t[1]), "integer x");
        }
    }
}
