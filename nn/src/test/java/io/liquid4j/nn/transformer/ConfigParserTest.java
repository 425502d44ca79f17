package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Activation;
import io.liquid4j.nn.layers.RopeScaling;
import io.liquid4j.tensor.io.Json;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
    @Test
    void gemma2V5KeysAndDefaults() {
        ModelConfig c = ConfigParser.load(Fixtures.modelDir("gemma2"));
        assertEquals(Family.GEMMA2, c.family());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(Math.pow(12, -0.5), c.attentionScaling(), 1e-15);
        assertEquals(1.5, c.attnSoftcap());
        assertEquals(2.5, c.finalSoftcap());
        assertArrayEquals(new boolean[] {true, false, true}, c.slidingLayers());
        assertArrayEquals(new int[] {1, 107}, c.eosTokenIds());
        assertEquals(Activation.GELU_TANH, c.activation());
        assertTrue(c.tieWordEmbeddings());
    }

    @Test
    void gemma1ForcesTanhGeluAndUsesExplicitHeadDim() {
        ModelConfig c = ConfigParser.load(Fixtures.modelDir("gemma"));
        assertEquals(Activation.GELU_TANH, c.activation());   // config says "gelu"
        assertEquals(12, c.headDim());
        assertEquals(Math.pow(12, -0.5), c.attentionScaling(), 1e-15);
    }

    @Test
    void llama3RopeScalingAndUntiedHead() {
        ModelConfig c = ConfigParser.load(Fixtures.modelDir("llama"));
        assertEquals(RopeScaling.Type.LLAMA3, c.ropeScaling().type());
        assertEquals(64, c.ropeScaling().originalMaxPositions());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(-1, c.padTokenId());
    }

    @Test
    void qwen2HasQkvBiasAndIgnoresItsSlidingWindow() {
        ModelConfig c = ConfigParser.load(Fixtures.modelDir("qwen2"));
        assertTrue(c.qkvBias());
        assertFalse(c.outBias());
        assertEquals(0, c.slidingWindow());
        assertEquals(-1, c.bosTokenId());     // JSON null
    }

    @Test
    void gemma2DefaultsWithoutLayerTypes() {
        ModelConfig c = parse("""
                {"model_type": "gemma2", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 4, "num_attention_heads": 2, "head_dim": 4,
                 "final_logit_softcapping": null}""");
        assertArrayEquals(new boolean[] {true, false, true, false}, c.slidingLayers());
        assertEquals(4096, c.slidingWindow());
        assertEquals(50.0, c.attnSoftcap());
        assertEquals(0.0, c.finalSoftcap());
        assertEquals(Math.pow(256, -0.5), c.attentionScaling(), 1e-15);
        assertEquals(2, c.numKvHeads());
    }

    @Test
    void clearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> parse("""
                {"model_type": "mistral", "architectures": ["MistralForCausalLM"]}"""));
        assertTrue(e.getMessage().contains("unsupported architecture") && e.getMessage().contains("mistral"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("""
                {"model_type": "llama", "vocab_size": 10, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}"""));
        assertTrue(e.getMessage().contains("'hidden_size'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("""
                {"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "rope_scaling": {"rope_type": "yarn", "factor": 4}}"""));
        assertTrue(e.getMessage().contains("yarn"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("""
                {"model_type": "llama", "vocab_size": "ten", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2}"""));
        assertTrue(e.getMessage().contains("'vocab_size' must be an integer"), e.getMessage());
    }

    @Test
    void architectureNameAloneIsEnough() {
        ModelConfig c = parse("""
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}""");
        assertEquals(Family.QWEN2, c.family());
        assertEquals(4, c.headDim());
    }

    @Test
    void impossibleSizesAndNonPositiveSettingsAreRefusedByName() {
        String base = "\"model_type\": \"gemma2\", \"num_attention_heads\": 4, \"num_key_value_heads\": 2, ";
        String[][] bad = {
                {"\"head_dim\": 4, \"num_hidden_layers\": 1000000000", "num_hidden_layers 1000000000 is more than"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"vocab_size\": 2000000000, \"hidden_size\": 40000, \"intermediate_size\": 99", "parameters"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rms_norm_eps\": -1", "'rms_norm_eps' must be a positive number"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"sliding_window\": 0", "'sliding_window' must be a positive integer"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"query_pre_attn_scalar\": 0", "'query_pre_attn_scalar' must be a positive number"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"max_position_embeddings\": -1", "'max_position_embeddings' must be a positive integer"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rope_theta\": 0", "'rope_theta' must be a positive number"},
                {"\"head_dim\": 0, \"num_hidden_layers\": 2", "'head_dim' must be a positive integer"},
                // ConfigFuzzTest finds: RoPE scaling numbers, softcaps and ids were taken as they came
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4, "
                        + "\"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192}", "high_freq_factor 4.0 must be greater than low_freq_factor 4.0"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, "
                        + "\"high_freq_factor\": 4, \"original_max_position_embeddings\": 1e10}", "'rope_scaling.original_max_position_embeddings' must be a positive integer"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": -2}", "'rope_scaling.factor' must be a positive number"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"rope_parameters\": {\"rope_theta\": 0}", "'rope_parameters.rope_theta' must be a positive number"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"attn_logit_softcapping\": -50", "'attn_logit_softcapping' must be a non-negative number"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"eos_token_id\": [1, 4294967297]", "'eos_token_id[1]' must be a token id"},
                {"\"head_dim\": 4, \"num_hidden_layers\": 2, \"bos_token_id\": 4294967298", "'bos_token_id' must be a token id"}};
        for (String[] b : bad) {
            String sizes = b[0].contains("vocab_size") ? "" : "\"vocab_size\": 40, \"hidden_size\": 16, \"intermediate_size\": 32, ";
            String json = "{" + base + sizes + b[0] + "}";
            var e = assertThrows(IllegalArgumentException.class, () -> parse(json), json);
            assertTrue(e.getMessage().contains(b[1]) && e.getMessage().startsWith("config.json: "), e.getMessage());
        }
    }

    private static ModelConfig parse(String json) {
        return ConfigParser.parse(Json.parseObject(json), "config.json");
    }

    /** ConfigFuzzTest find: invalid UTF-8 was an UncheckedIOException "cannot read config (Input length = 1)". */
    @Test
    void invalidUtf8IsAnInvalidJsonErrorWithItsPosition(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("config.json");
        java.nio.file.Files.write(f, new byte[] {'{', '"', (byte) 0xE2, (byte) 0x82, '"', ':', '1', '}'});
        var e = assertThrows(IllegalArgumentException.class, () -> ConfigParser.load(f));
        assertTrue(e.getMessage().equals(f + ": invalid JSON: line 1, column 3: not valid UTF-8 (byte 0xE2 at byte offset 2)"), e.getMessage());
        java.nio.file.Files.writeString(f, "[1]");
        e = assertThrows(IllegalArgumentException.class, () -> ConfigParser.load(f));
        assertTrue(e.getMessage().equals(f + ": the top level must be a JSON object, got array"), e.getMessage());
    }
}
