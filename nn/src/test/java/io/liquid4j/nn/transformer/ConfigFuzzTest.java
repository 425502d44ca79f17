package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.fuzz.JsonMutator;
import io.liquid4j.nn.layers.RopeScaling;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of {@link ConfigParser#load}: 2000 damaged copies of Llama 3.1, Qwen2, Gemma
 * and Gemma 2 config.json files (v4 and v5 key styles). Each must either parse into a
 * self-consistent {@link ModelConfig} (positive sizes, finite positive epsilon and RoPE numbers,
 * softcaps finite and not negative, one flag per layer) or fail with an IllegalArgumentException
 * naming the file, and nothing else (no NPE, ClassCast, index, arithmetic, out-of-memory or
 * stack-overflow error, and no hang).
 *
 * <p>Mutant i draws from {@code Random(SEED * 1_000_003 + i)}: a failure's index reproduces it.
 */
class ConfigFuzzTest {
    private static final long SEED = 0xC0F1_6F22L;
    private static final int MUTANTS = 2000;

    @TempDir Path dir;

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static List<Map<String, Object>> bases() {
        Map<String, Object> llama = map("architectures", List.of("LlamaForCausalLM"), "model_type", "llama", "hidden_size", 64L,
                "intermediate_size", 128L, "num_hidden_layers", 2L, "num_attention_heads", 4L, "num_key_value_heads", 2L,
                "vocab_size", 300L, "max_position_embeddings", 512L, "rms_norm_eps", 1e-5, "rope_theta", 500000.0,
                "rope_scaling", map("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                        "original_max_position_embeddings", 8192L),
                "hidden_act", "silu", "attention_bias", false, "mlp_bias", false, "tie_word_embeddings", false,
                "bos_token_id", 1L, "eos_token_id", List.of(2L, 3L), "torch_dtype", "bfloat16");
        Map<String, Object> qwen = map("architectures", List.of("Qwen2ForCausalLM"), "model_type", "qwen2", "hidden_size", 48L,
                "intermediate_size", 96L, "num_hidden_layers", 3L, "num_attention_heads", 6L, "num_key_value_heads", 2L,
                "vocab_size", 200L, "max_position_embeddings", 1024L, "rms_norm_eps", 1e-6, "use_sliding_window", false,
                "sliding_window", 4096L, "tie_word_embeddings", true, "eos_token_id", 5L, "pad_token_id", Json.NULL,
                "rope_scaling", Json.NULL, "rope_theta", 1000000.0, "dtype", "float32");
        Map<String, Object> gemma = map("architectures", List.of("GemmaForCausalLM"), "model_type", "gemma", "hidden_size", 32L,
                "intermediate_size", 64L, "num_hidden_layers", 1L, "num_attention_heads", 2L, "num_key_value_heads", 1L,
                "head_dim", 16L, "vocab_size", 256L, "max_position_embeddings", 256L, "hidden_activation", "gelu_pytorch_tanh",
                "bos_token_id", 2L, "eos_token_id", 1L, "pad_token_id", 0L);
        Map<String, Object> gemma2 = map("architectures", List.of("Gemma2ForCausalLM"), "model_type", "gemma2", "hidden_size", 32L,
                "intermediate_size", 64L, "num_hidden_layers", 4L, "num_attention_heads", 4L, "num_key_value_heads", 2L,
                "head_dim", 8L, "vocab_size", 256L, "query_pre_attn_scalar", 8L, "attn_logit_softcapping", 50.0,
                "final_logit_softcapping", 30.0, "sliding_window", 64L,
                "layer_types", List.of("sliding_attention", "full_attention", "sliding_attention", "full_attention"),
                "rope_parameters", map("rope_type", "default", "rope_theta", 10000.0), "eos_token_id", List.of(1L, 107L));
        return List.of(llama, qwen, gemma, gemma2);
    }

    @Test
    @Timeout(60)
    void mutantsParseConsistentlyOrFailWithIllegalArgumentException() throws IOException {
        List<Map<String, Object>> bases = bases();
        for (int b = 0; b < bases.size(); b++) {
            assertTrue(check("base-" + b, Json.write(bases.get(b)).getBytes(StandardCharsets.UTF_8)), "base " + b + " must parse");
        }
        long t0 = System.nanoTime();
        Map<String, int[]> stats = JsonMutator.fuzz(SEED, MUTANTS, bases, this::check);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int parsed = stats.values().stream().mapToInt(s -> s[0]).sum();
        assertTrue(parsed > MUTANTS / 10 && parsed < MUTANTS * 9 / 10, "parsed " + parsed + " of " + MUTANTS + ": " + stats.keySet());
        assertTrue(ms < 20_000, "fuzzing took " + ms + " ms");
    }

    private boolean check(String label, byte[] bytes) throws IOException {
        Path file = dir.resolve(label.split(" ")[0] + ".json");
        Files.write(file, bytes);
        try {
            ModelConfig c = ConfigParser.load(file);
            for (int size : new int[] {c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(),
                    c.headDim(), c.maxPositions()}) {
                assertTrue(size > 0, label + ": size " + size + " in " + c);
            }
            assertTrue(c.rmsNormEps() > 0 && Double.isFinite(c.rmsNormEps()), label + ": eps " + c.rmsNormEps());
            assertTrue(c.ropeTheta() > 0 && Double.isFinite(c.ropeTheta()), label + ": rope theta " + c.ropeTheta());
            assertTrue(c.attentionScaling() > 0 && Double.isFinite(c.attentionScaling()), label + ": scaling " + c.attentionScaling());
            for (double cap : new double[] {c.attnSoftcap(), c.finalSoftcap()}) assertTrue(cap >= 0 && Double.isFinite(cap), label + ": softcap " + cap);
            RopeScaling r = c.ropeScaling();
            if (r.type() != RopeScaling.Type.DEFAULT) {
                assertTrue(r.factor() > 0 && Double.isFinite(r.factor()), label + ": rope factor " + r.factor());
            }
            if (r.type() == RopeScaling.Type.LLAMA3) {
                assertTrue(r.lowFreqFactor() > 0 && r.highFreqFactor() > r.lowFreqFactor() && Double.isFinite(r.highFreqFactor()),
                        label + ": llama3 frequency factors " + r);
                assertTrue(r.originalMaxPositions() > 0, label + ": " + r);
                float[] inv = new float[8];
                for (int i = 0; i < inv.length; i++) inv[i] = (float) Math.pow(10000, -2.0 * i / 16);
                for (float f : r.apply(inv)) assertTrue(Float.isFinite(f) && f > 0, label + ": RoPE frequency " + f + " from " + r);
            }
            assertEquals(c.numLayers(), c.slidingLayers().length, label);
            if (c.slidingWindow() != 0) assertTrue(c.slidingWindow() > 0, label);
            return true;
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()),
                    label + ": message does not name the file: " + e.getMessage());
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable e) {
            fail(label + ": unexpected " + e, e);
            return false;
        } finally {
            Files.delete(file);
        }
    }
}
