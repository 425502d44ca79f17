package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid generate --prompt-ids --print-ids` and `liquid logits` on a saved random model. */
class CliGenerateTest {
    @TempDir Path tmp;

    @Test
    void generatePrintsTheGreedyIds() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.LLAMA_CONFIG, 21);
        String out = run("generate", "--model", dir.toString(), "--prompt-ids", "5,17,3", "--print-ids",
                "--max-new-tokens", "6", "--stop-ids", "39");
        CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
        int[] expected = new TextGenerator(m).generate(List.of(new int[] {5, 17, 3}),
                new GenerationConfig(6, SamplingParams.GREEDY, new int[] {39}, 0), TokenListener.NONE).tokens().getFirst();
        assertEquals(Arrays.stream(expected).mapToObj(Integer::toString).collect(Collectors.joining(",")), out.strip());
    }

    @Test
    void kvCacheBf16GivesTheLibrarysBf16CacheIdsAndABadTypeIsNamed() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.LLAMA_CONFIG, 24);
        String out = run("generate", "--model", dir.toString(), "--prompt-ids", "5,17,3", "--print-ids",
                "--max-new-tokens", "6", "--stop-ids", "39", "--kv-cache", "bf16");
        CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
        int[] expected = new TextGenerator(m, DType.BF16).generate(List.of(new int[] {5, 17, 3}),
                new GenerationConfig(6, SamplingParams.GREEDY, new int[] {39}, 0), TokenListener.NONE).tokens().getFirst();
        assertEquals(Arrays.stream(expected).mapToObj(Integer::toString).collect(Collectors.joining(",")), out.strip());

        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute("generate", "--model", dir.toString(), "--prompt-ids", "5", "--kv-cache", "int8");
        } finally {
            System.setErr(oldErr);
        }
        assertNotEquals(0, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--kv-cache: 'int8' is not one of auto, f32, bf16"), err.toString(StandardCharsets.UTF_8));
    }

    /** The default cache (auto): the library's lossless choice (BF16 for a BF16 model, F32 for F32 and F16 ones) — the ids of an F32 cache every time. */
    @Test
    void theDefaultCacheIsExactForF32And16BitModels() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.LLAMA_CONFIG, 25);
        for (DType weights : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            String out = run("generate", "--model", dir.toString(), "--prompt-ids", "5,17,3", "--print-ids", "--max-new-tokens", "6",
                    "--stop-ids", "39", "--dtype", weights.name().toLowerCase(java.util.Locale.ROOT));
            CausalLM m = CausalLM.fromPretrained(dir, weights, Device.CPU);
            assertEquals(weights == DType.BF16 ? DType.BF16 : DType.F32, m.cacheDType(), "the auto cache of a " + weights + " model");
            int[] expected = new TextGenerator(m, DType.F32).generate(List.of(new int[] {5, 17, 3}),
                    new GenerationConfig(6, SamplingParams.GREEDY, new int[] {39}, 0), TokenListener.NONE).tokens().getFirst();
            assertEquals(Arrays.stream(expected).mapToObj(Integer::toString).collect(Collectors.joining(",")), out.strip(), weights + " model");
        }
    }

    @Test
    void logitsWritesEveryPosition() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.GEMMA2_CONFIG, 22);
        Path file = tmp.resolve("logits.safetensors");
        run("logits", "--model", dir.toString(), "--ids", "2,7,9,11", "--out", file.toString(), "--device", "cpu");
        Map<String, Tensor> saved = Checkpoint.loadAll(file);
        CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor expected = m.forward(Tensor.fromArray(new long[] {2, 7, 9, 11}, 1, 4));
            assertEquals(Arrays.toString(expected.shape()), Arrays.toString(saved.get("logits").shape()));
            float[] e = expected.toFloatArray(), a = saved.get("logits").toFloatArray();
            for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-6);
        }
    }

    @Test
    void promptTextWithoutTokenizerIsAClearError() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.LLAMA_CONFIG, 23);
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute("generate", "--model", dir.toString(), "--prompt", "hello");
        } finally {
            System.setErr(oldErr);
        }
        assertNotEquals(0, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no tokenizer.json"), err.toString(StandardCharsets.UTF_8));
    }

    private static String run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, LiquidCli.execute(args), "exit code of " + String.join(" ", args));
        } finally {
            System.setOut(oldOut);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
