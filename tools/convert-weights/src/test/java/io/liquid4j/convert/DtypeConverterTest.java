package io.liquid4j.convert;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DtypeConverterTest {
    @TempDir Path tmp;

    private static final float[] VALUES = {1f, -2.5f, 3.1415927f, 1e-3f, 65504f, -0f, 1.00390625f /* tie: rounds to even */, 1.01171875f};

    private Path writeF32(Path file) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.fromArray(VALUES, 2, 4));
        m.put("ids", Tensor.fromArray(new long[] {7, -1, 1L << 40}, 3));
        Checkpoint.save(file, m, Map.of("format", "pt"));
        m.values().forEach(Tensor::close);
        return file;
    }

    @Test
    void f32ToBf16RoundsToNearestEvenAndKeepsIntegers() {
        Path bf = tmp.resolve("bf.safetensors");
        DtypeConverter.convert(writeF32(tmp.resolve("f.safetensors")), bf, DType.BF16, null);
        try (Checkpoint c = Checkpoint.open(bf)) {
            assertEquals(DType.BF16, c.dtype("w"));
            assertEquals(DType.I64, c.dtype("ids"));
            assertArrayEquals(new int[] {2, 4}, c.shape("w"));
            float[] expected = new float[VALUES.length];
            for (int i = 0; i < VALUES.length; i++) expected[i] = DType.bf16ToFloat(DType.floatToBf16(VALUES[i]));
            assertEquals(1.0f, expected[6], "1 + 2^-8 is a tie and rounds to the even 1.0");
            try (Tensor w = c.tensor("w"); Tensor ids = c.tensor("ids")) {
                assertArrayEquals(expected, w.toFloatArray());
                assertArrayEquals(new long[] {7, -1, 1L << 40}, ids.toLongArray());
            }
        }
        // and back to f32: exactly the bf16 values
        Path back = tmp.resolve("back.safetensors");
        DtypeConverter.convert(bf, back, DType.F32, null);
        try (Checkpoint c = Checkpoint.open(back); Tensor w = c.tensor("w")) {
            assertEquals(DType.F32, c.dtype("w"));
            for (int i = 0; i < VALUES.length; i++) assertEquals(DType.bf16ToFloat(DType.floatToBf16(VALUES[i])), w.toFloatArray()[i]);
        }
    }

    @Test
    void f32ToF16RoundsAndRefusesValuesBeyondItsRange() {
        Path h = tmp.resolve("h.safetensors");
        DtypeConverter.convert(writeF32(tmp.resolve("f.safetensors")), h, DType.F16, null);
        try (Checkpoint c = Checkpoint.open(h); Tensor w = c.tensor("w")) {
            assertEquals(DType.F16, c.dtype("w"));
            assertEquals(DType.I64, c.dtype("ids"));
            float[] got = w.toFloatArray();
            for (int i = 0; i < VALUES.length; i++) assertEquals(DType.f16ToFloat(DType.floatToF16(VALUES[i])), got[i], "element " + i);
        }
        Path big = tmp.resolve("big.safetensors");
        try (Tensor t = Tensor.fromArray(new float[] {1f, -70000f, 2f}, 3)) {
            Checkpoint.save(big, Map.of("w", t), Map.of("format", "pt"));
        }
        Path out = tmp.resolve("big16.safetensors");
        ConversionException e = assertThrows(ConversionException.class, () -> DtypeConverter.convert(big, out, DType.F16, null));
        assertTrue(e.getMessage().contains("tensor w holds -70000.0 at element 1") && e.getMessage().contains("±65504"), e.getMessage());
        assertEquals(DType.F16, DtypeConverter.parseTarget("FP16"));
        assertEquals(DType.F16, DtypeConverter.parseTarget("half"));
    }

    @Test
    void shardedDirectoryKeepsLayoutAndUpdatesIndexAndConfig() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Map<String, Tensor> a = Map.of("a", Tensor.fromArray(new float[] {1, 2, 3}, 3));
        Map<String, Tensor> b = Map.of("b", Tensor.fromArray(new float[] {4, 5}, 2));
        Checkpoint.save(in.resolve("model-00001-of-00002.safetensors"), a, null);
        Checkpoint.save(in.resolve("model-00002-of-00002.safetensors"), b, null);
        Files.writeString(in.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":20},\"weight_map\":"
                + "{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        Files.writeString(in.resolve("config.json"), "{\"model_type\":\"llama\",\"torch_dtype\":\"float32\"}");
        Files.writeString(in.resolve("tokenizer.json"), "{}");
        Path out = tmp.resolve("out");
        DtypeConverter.convert(in, out, DType.BF16, null);
        try (Checkpoint c = Checkpoint.open(out)) {
            assertEquals(DType.BF16, c.dtype("a"));
            assertEquals(DType.BF16, c.dtype("b"));
            try (Tensor t = c.tensor("b")) {
                assertArrayEquals(new float[] {4, 5}, t.toFloatArray());
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> index = (Map<String, Object>) Json.parseFile(out.resolve("model.safetensors.index.json"));
        assertEquals(10L, ((Number) ((Map<?, ?>) index.get("metadata")).get("total_size")).longValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = (Map<String, Object>) Json.parseFile(out.resolve("config.json"));
        assertEquals("bfloat16", cfg.get("torch_dtype"));
        assertEquals("{}", Files.readString(out.resolve("tokenizer.json"), StandardCharsets.UTF_8));
        a.values().forEach(Tensor::close);
        b.values().forEach(Tensor::close);
    }

    @Test
    void inventoryCountsParametersOfADirectoryAndALlama2cBin() throws Exception {
        Path bin = Llama2cFixture.write(tmp.resolve("m.bin"), Llama2cFixture.smallHeader(false), 1);
        CheckpointInventory fromBin = CheckpointInventory.of(bin);
        Path out = tmp.resolve("hf");
        Llama2cConverter.convert(bin, null, out, null);
        CheckpointInventory fromDir = CheckpointInventory.of(out);
        long expected = 2L * 100 * 64 + 64 + 2 * (64 + 64 * 64 + 2 * 16 * 64 + 64 * 64 + 64 + 3 * 96 * 64);
        assertEquals(expected, fromBin.parameterCount());
        assertEquals(expected, fromDir.parameterCount());
        assertEquals(Map.of("F32", expected), fromDir.parametersByDtype());
        assertEquals(fromBin.tensors().size(), fromDir.tensors().size());
    }
}
