package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * A batched matmul whose products the threads take whole ({@link CpuMatmul#wholeProductsPerThread})
 * gives every product the bits of the same product computed alone, where GEMM splits it across
 * the threads itself: the rule moves work between threads, never changes a result.
 */
class BatchedMatmulBitsTest {
    @Test
    void wholeProductsGiveTheBitsOfEachProductAlone() {
        // the shapes of a VQGAN convolution's per-image products (16 images, 32 filters of 32·3·3
        // taps, 16×16 outputs): 2.4M multiply-adds each, above the always-whole size
        int batch = 16, m = 32, k = 288, n = 256;
        try (var _ = TensorScope.open()) {
            Generator g = new Generator(5);
            Tensor a = Tensor.randn(g, DType.F32, Device.CPU, m, k);
            Tensor b = Tensor.randn(g, DType.F32, Device.CPU, batch, k, n);
            float[] together = a.matmul(b).toFloatArray();
            for (int i = 0; i < batch; i++) {
                float[] alone = a.matmul(b.select(0, i).contiguous()).toFloatArray();
                float[] part = java.util.Arrays.copyOfRange(together, i * m * n, (i + 1) * m * n);
                assertArrayEquals(alone, part, "product " + i);
            }
        }
    }

    @Test
    void smallProductsAlwaysWholeLargeOnesWhenEachThreadGetsTwo() {
        assertFalse(CpuMatmul.wholeProductsPerThread(1, 1));
        assertTrue(CpuMatmul.wholeProductsPerThread(2, 1L << 20));
        assertTrue(CpuMatmul.wholeProductsPerThread(2 * CpuThreads.threads(), 1L << 30));
        assertFalse(CpuMatmul.wholeProductsPerThread(2 * CpuThreads.threads() - 1, 1L << 30));
    }
}
