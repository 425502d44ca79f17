package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * index_add along dim 0 (an embedding's backward): the row-vector path for contiguous F32
 * operands against sums written out in Java, repeated ids summed in index order, and the general
 * strided path on a view of the same source giving the same result.
 */
class IndexAddTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    @Test
    void contiguousRowsMatchSequentialSums() {
        for (int width : new int[] {1, 7, 16, 37, 128}) {
            try (var _ = TensorScope.open()) {
                long[] ids = {3, 0, 10, 3, 7, 3, 0, 10, 1};
                Tensor src = Tensor.randn(new Generator(width), ids.length, width);
                Tensor dst = Tensor.randn(new Generator(100 + width), 11, width);
                float[] s = src.toFloatArray(), expected = dst.toFloatArray();
                for (int i = 0; i < ids.length; i++) {
                    for (int j = 0; j < width; j++) expected[(int) ids[i] * width + j] += s[i * width + j];
                }
                Tensor idx = Tensor.fromArray(ids, ids.length);
                Tensor strided = dst.clone();
                CPU.indexAdd(dst, 0, idx, src);
                assertArrayEquals(expected, dst.toFloatArray(), "width " + width);
                // the same source as a transposed view takes the general path
                Tensor srcView = src.transpose(0, 1).contiguous().transpose(0, 1);
                CPU.indexAdd(strided, 0, idx, srcView);
                assertArrayEquals(expected, strided.toFloatArray(), "general path, width " + width);
            }
        }
    }

    @Test
    void badIdsAreRejectedBeforeAnyRowIsAdded() {
        try (var _ = TensorScope.open()) {
            Tensor dst = Tensor.zeros(4, 8), src = Tensor.ones(2, 8);
            assertThrows(IndexOutOfBoundsException.class, () -> CPU.indexAdd(dst, 0, Tensor.fromArray(new long[] {1, 4}, 2), src));
            assertArrayEquals(new float[32], dst.toFloatArray(), "nothing added");
        }
    }
}
