package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading checkpoints: BF16 files stay BF16, sharded files, tied weights, clear errors. */
class PretrainedLoadTest {
    @TempDir Path tmp;

    @Test
    void bf16CheckpointStaysBf16AndMatches() throws IOException {
        Path dir = copyAs("qwen2", DType.BF16, false);
        CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
        m.parameters().forEach(p -> assertEquals(DType.BF16, p.value().dtype()));
        Map<String, Tensor> ref = Fixtures.reference("qwen2");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Fixtures.assertClose("bf16 file", m.forward(ref.get("ids")), ref.get("logits"), 2e-2);
        }
    }

    @Test
    void f16ConversionOnLoadMatches() {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir("gemma2"), DType.F16, Device.CPU);
        m.parameters().forEach(p -> assertEquals(DType.F16, p.value().dtype()));
        Map<String, Tensor> ref = Fixtures.reference("gemma2");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Fixtures.assertClose("f16 weights", m.forward(ref.get("ids")), ref.get("logits"), 5e-3);
        }
    }

    @Test
    void shardedCheckpointLoads() throws IOException {
        Path dir = copyAs("llama", DType.F32, true);
        CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
        Map<String, Tensor> ref = Fixtures.reference("llama");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Fixtures.assertClose("sharded", m.forward(ref.get("ids")), ref.get("logits"), 1e-4);
        }
    }

    @Test
    void tiedHeadSharesTheEmbedding() {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir("gemma"), null, Device.CPU);
        assertSame(m.namedParameters().get("model.embed_tokens.weight"), m.namedParameters().get("lm_head.weight"));
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.copy(Fixtures.modelDir("llama").resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> w = new LinkedHashMap<>(Checkpoint.loadAll(Fixtures.modelDir("llama").resolve("model.safetensors")));
        w.remove("model.layers.1.mlp.up_proj.weight");
        Checkpoint.save(dir.resolve("model.safetensors"), w, Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> CausalLM.fromPretrained(dir, null, Device.CPU));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());
    }

    /** The family's model dir rewritten in dtype, optionally split into two shards with an index. */
    private Path copyAs(String family, DType dtype, boolean sharded) throws IOException {
        Path dir = tmp.resolve(family + "-" + dtype + (sharded ? "-sharded" : ""));
        Files.createDirectories(dir);
        Files.copy(Fixtures.modelDir(family).resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> w = new LinkedHashMap<>();
        try (var _ = GradMode.noGrad()) {
            Checkpoint.loadAll(Fixtures.modelDir(family).resolve("model.safetensors")).forEach((k, v) -> w.put(k, v.to(dtype)));
        }
        if (!sharded) {
            Checkpoint.save(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
            return dir;
        }
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (var e : w.entrySet()) {
            String file = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (file.contains("00001-of") ? a : b).put(e.getKey(), e.getValue());
            index.append(i > 1 ? ", " : "").append('"').append(e.getKey()).append("\": \"").append(file).append('"');
        }
        Checkpoint.save(dir.resolve("model-00001-of-00002.safetensors"), a, Map.of());
        Checkpoint.save(dir.resolve("model-00002-of-00002.safetensors"), b, Map.of());
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
        return dir;
    }
}
