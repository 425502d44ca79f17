package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * F.sumsOfSquares (a gradient norm's squares in one call) gives, tensor by tensor, the bits of the
 * ops it replaces — x.to(F32) squared, summed by sum(), read by item() — on the CPU's one-pass
 * kernel (contiguous F32, lengths around the vector width and the 1024-element flushes) and on
 * the composed path it keeps for views and 16-bit tensors. Also run in AVX2's vector shape.
 */
class SumsOfSquaresTest {
    @Test
    void matchesTheComposedOpsBitForBit() {
        try (var _ = TensorScope.open()) {
            Generator g = new Generator(11);
            List<Tensor> ts = new ArrayList<>();
            for (int n : new int[] {0, 1, 7, 8, 15, 16, 17, 1023, 1024, 1025, 1040, 4096, 5000, 70001}) {
                ts.add(Tensor.randn(g, n).mul(3.0));
            }
            ts.add(Tensor.randn(g, 384, 128));                          // a weight's gradient
            ts.add(Tensor.randn(g, 40, 30).transpose(0, 1));            // a view: composed path
            ts.add(Tensor.randn(g, 33, 17).to(DType.BF16));             // 16-bit: composed path
            ts.add(Tensor.randn(g, 64).mul(1e20));                      // squares past F32's range: +∞
            double[] got = F.sumsOfSquares(ts);
            for (int i = 0; i < ts.size(); i++) {
                Tensor f = ts.get(i).to(DType.F32);
                double want = f.mul(f).sum().item();
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got[i]),
                        "tensor " + i + " " + ts.get(i).describe() + ": " + got[i] + " vs " + want);
            }
        }
    }

    @Test
    void rejectsIntegerTensorsAndTakesNone() {
        try (var _ = TensorScope.open()) {
            assertEquals(0, F.sumsOfSquares(List.of()).length);
            Tensor ints = Tensor.fromArray(new int[] {1, 2, 3}, 3);
            assertThrows(IllegalArgumentException.class, () -> F.sumsOfSquares(List.of(ints)));
        }
    }
}
