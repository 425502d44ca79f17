package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * A Linear's weight gradient (x·Wᵀ, W stored [out, in]) is computed as gᵀ·x in the weight's own
 * layout, so it reaches .grad contiguous; computed as (xᵀ·g)ᵀ it arrived as a transposed view
 * and was copied element by element. Both orders sum each element over the rows in the same
 * order, so the bits must be those of either product.
 */
class LinearWeightGradientTest {
    @Test
    void weightGradientHasTheBitsOfBothProductOrders() {
        int rows = 3072;
        for (int[] shape : new int[][] {{128, 384}, {384, 128}, {128, 128}}) {
            int in = shape[0], out = shape[1];
            try (var s = TensorScope.open()) {
                Generator gen = new Generator(in * 31 + out);
                Tensor x = Tensor.randn(gen, DType.F32, Device.CPU, 16, rows / 16, in);
                Tensor w = Tensor.randn(gen, DType.F32, Device.CPU, out, in).requiresGrad(true);
                Tensor g = Tensor.randn(gen, DType.F32, Device.CPU, 16, rows / 16, out);
                F.linear(x, w, null).mul(g).sum().backward();
                Tensor x2 = x.reshape(rows, in), g2 = g.reshape(rows, out);
                float[] outMajor = g2.t().contiguous().matmul(x2).toFloatArray();              // gᵀ·x [out, in]
                float[] inMajor = x2.t().contiguous().matmul(g2).t().contiguous().toFloatArray(); // (xᵀ·g)ᵀ
                assertArrayEquals(outMajor, inMajor, "the two product orders, in " + in + " out " + out);
                assertArrayEquals(outMajor, w.grad().toFloatArray(), "w.grad, in " + in + " out " + out);
                assertTrue(w.grad().isContiguous());
            }
        }
    }
}
