package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class OpProfileTest {
    @Test
    void timesEachCallByOpAndShapesAndPassesResultsAndErrorsThrough() {
        Backend timed = OpProfile.timing(CpuBackend.INSTANCE);
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3);
        Tensor w = Tensor.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 1, 3, 2);
        Tensor out = Tensor.empty(DType.F32, 1, 2, 2);
        for (int i = 0; i < 3; i++) timed.matmul(a, w, out, false);
        assertArrayEquals(new float[] {4, 5, 10, 11}, out.toFloatArray(), 0f);    // the call reached the backend
        // an error in the backend reaches the caller as itself, not wrapped in a reflection exception
        assertThrows(IllegalArgumentException.class, () -> timed.matmul(a.to(DType.I32), w, out, false));
        String table = OpProfile.table(100);
        assertTrue(table.contains("matmul [1,2,3] [1,3,2] [1,2,2]"), table);
        assertTrue(table.lines().anyMatch(l -> l.contains(" fwd ") && l.contains(" 4 ") && l.contains("matmul [1,2,3]")), table);
        assertTrue(table.contains("per op:"), table);
    }
}
