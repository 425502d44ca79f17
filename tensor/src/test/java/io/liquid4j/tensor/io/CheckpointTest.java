package io.liquid4j.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path dir;

    @Test
    void roundTripKeepsDtypesShapesAndValues() {
        Generator g = new Generator(7);
        Tensor w = Tensor.randn(g, 5, 3);
        Tensor wbf = w.to(DType.BF16);
        Tensor ids = Tensor.fromArray(new long[] {1L << 60, -3, 42}, 3);
        Tensor transposed = w.t();           // non-contiguous: must be written row-major
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", w);
        m.put("w_bf16", wbf);
        m.put("ids", ids);
        m.put("wt", transposed);
        m.put("scalar", Tensor.scalar(2.5));
        Path f = dir.resolve("model.safetensors");
        Checkpoint.save(f, m, Map.of("format", "pt"));

        try (Checkpoint c = Checkpoint.open(f)) {
            assertEquals(DType.BF16, c.dtype("w_bf16"));
            try (Tensor t = c.tensor("w_bf16")) {
                assertEquals(DType.BF16, t.dtype());                  // zero-copy: stays 16-bit
                assertArrayEquals(wbf.toFloatArray(), t.toFloatArray());
            }
            assertArrayEquals(w.toFloatArray(), c.tensor("w").toFloatArray());
            assertArrayEquals(w.t().contiguous().toFloatArray(), c.tensor("wt").toFloatArray());
            assertArrayEquals(new int[] {3, 5}, c.shape("wt"));
            assertArrayEquals(new long[] {1L << 60, -3, 42}, c.tensor("ids").toLongArray());
            assertEquals(2.5, c.tensor("scalar").item());
            Tensor f32 = c.tensor("w_bf16", DType.F32, Device.CPU);
            assertEquals(DType.F32, f32.dtype());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> c.tensor("missing"));
            assertTrue(e.getMessage().contains("missing"));
        }
    }

    /**
     * The same tensors and metadata give the same bytes, whatever maps held them: metadata keys are
     * written sorted, and tensors of a map without an order (Map.of, HashMap) sorted by name.
     * Map.of's order changes from one JVM to the next (`liquid logits` wrote two different files
     * for the same logits), so the check here is that no order of the caller's survives.
     */
    @Test
    void sameContentSameBytesWhateverTheMapsOrder() throws Exception {
        Tensor a = Tensor.fromArray(new float[] {1, 2}, 2), b = Tensor.fromArray(new float[] {3}, 1);
        Map<String, String> meta1 = new LinkedHashMap<>(), meta2 = new LinkedHashMap<>();
        meta1.put("model", "m");
        meta1.put("generator", "g");
        meta2.put("generator", "g");
        meta2.put("model", "m");
        Map<String, Tensor> tensors = new java.util.HashMap<>();
        tensors.put("zeta", a);
        tensors.put("alpha", b);
        Path f1 = dir.resolve("one.safetensors"), f2 = dir.resolve("two.safetensors");
        Checkpoint.save(f1, tensors, meta1);
        Checkpoint.save(f2, Map.of("alpha", b, "zeta", a), meta2);
        assertArrayEquals(Files.readAllBytes(f1), Files.readAllBytes(f2));
        try (Checkpoint c = Checkpoint.open(f1)) {
            assertEquals(java.util.List.of("alpha", "zeta"), java.util.List.copyOf(c.names()));
        }
        String header = new String(Files.readAllBytes(f1), 8, 120, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"generator\":\"g\",\"model\":\"m\"}"), header);
    }

    @Test
    void mappingOutlivesCloseWhileTensorsViewIt() {
        Path f = dir.resolve("a.safetensors");
        Checkpoint.save(f, Map.of("x", Tensor.fromArray(new float[] {1, 2, 3}, 3)), null);
        Checkpoint c = Checkpoint.open(f);
        Tensor x = c.tensor("x");
        c.close();
        assertArrayEquals(new float[] {1, 2, 3}, x.toFloatArray());   // still mapped
        x.close();
        assertThrows(IllegalStateException.class, () -> c.tensor("x"));
    }

    @Test
    void tensorCopyOwnsItsMemoryAndKeepsOrConvertsTheDtype() {
        Path f = dir.resolve("c.safetensors");
        Tensor w = Tensor.randn(new Generator(3), 4, 5).to(DType.BF16);
        Checkpoint.save(f, Map.of("w", w), null);
        Tensor same, f32;
        try (Checkpoint c = Checkpoint.open(f)) {
            Tensor view = c.tensor("w");
            same = c.tensorCopy("w", null, Device.CPU);
            f32 = c.tensorCopy("w", DType.F32, Device.CPU);
            assertNotSame(view.storage(), same.storage(), "a copy, not a view of the mapping");
            view.close();
        }
        assertEquals(DType.BF16, same.dtype());
        assertArrayEquals(new int[] {4, 5}, same.shape());
        assertArrayEquals(w.toFloatArray(), same.toFloatArray());
        assertEquals(DType.F32, f32.dtype());
        assertArrayEquals(w.toFloatArray(), f32.toFloatArray());
    }

    @Test
    void loadsShardedIndex() throws Exception {
        Checkpoint.save(dir.resolve("model-00001-of-00002.safetensors"), Map.of("a", Tensor.ones(2)), null);
        Checkpoint.save(dir.resolve("model-00002-of-00002.safetensors"), Map.of("b", Tensor.zeros(3)), null);
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                 "b": "model-00002-of-00002.safetensors"}}""");
        Map<String, Tensor> all = Checkpoint.loadAll(dir);
        assertEquals(2, all.size());
        assertArrayEquals(new float[] {1, 1}, all.get("a").toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0}, all.get("b").toFloatArray());
    }
}
