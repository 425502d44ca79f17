package io.liquid4j.tensor.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load-time weight check: counts and first positions of NaN/Inf in every float dtype, in the vector body and the tail. */
class WeightCheckTest {
    @Test
    void countsNonFiniteF32AtEveryPositionAndOffset() {
        for (int n : new int[] {1, 7, 16, 33, 100}) {
            for (int at = 0; at < n; at += 5) {
                try (Arena arena = Arena.ofConfined()) {
                    // one byte in: the scan must not assume aligned data (a safetensors offset is any multiple of the dtype size)
                    MemorySegment seg = arena.allocate(4L * n + 1).asSlice(1);
                    for (int i = 0; i < n; i++) seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i, i * 0.5f);
                    assertEquals(new WeightCheck.NonFinite(0, -1), WeightCheck.scan(seg, DType.F32));
                    seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * at, Float.NaN);
                    seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * (n - 1), Float.NEGATIVE_INFINITY);
                    assertEquals(new WeightCheck.NonFinite(at == n - 1 ? 1 : 2, at), WeightCheck.scan(seg, DType.F32), "n " + n + " at " + at);
                }
            }
        }
    }

    @Test
    void countsNonFiniteHalfFloats() {
        for (DType dt : List.of(DType.BF16, DType.F16)) {
            float[] v = new float[70];
            for (int i = 0; i < v.length; i++) v[i] = (i % 7) - 3;
            v[9] = Float.POSITIVE_INFINITY;
            v[64] = Float.NaN;
            v[69] = Float.NaN;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(2L * v.length);
                for (int i = 0; i < v.length; i++) {
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, dt == DType.BF16 ? DType.floatToBf16(v[i]) : DType.floatToF16(v[i]));
                }
                assertEquals(new WeightCheck.NonFinite(3, 9), WeightCheck.scan(seg, dt), dt.toString());
            }
        }
    }

    @Test
    void checkpointErrorNamesTensorsAndDtypes(@TempDir Path dir) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        float[] a = new float[40];
        a[17] = Float.NaN;
        a[20] = Float.NaN;
        a[39] = Float.POSITIVE_INFINITY;
        m.put("a.weight", Tensor.fromArray(a, 4, 10));
        m.put("b.weight", Tensor.fromArray(new int[] {1, 2, 3}, 3));
        m.put("c.weight", Tensor.fromArray(new float[] {1, 2}, 2));
        Path file = dir.resolve("m.safetensors");
        Checkpoint.save(file, m, Map.of());
        try (Checkpoint ckpt = Checkpoint.open(file)) {
            WeightCheck.requireFiniteFloats(ckpt, List.of("c.weight"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightCheck.requireFiniteFloats(ckpt, ckpt.names()));
            assertTrue(e.getMessage().contains("a.weight: 3 non-finite values (first at index 17)"), e.getMessage());
            assertTrue(e.getMessage().contains("b.weight: dtype I32, but a floating-point weight"), e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }
}
