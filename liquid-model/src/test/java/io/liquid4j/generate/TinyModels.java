package io.liquid4j.generate;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Small random models for generation tests (real layers, random weights). */
final class TinyModels {
    static final String GEMMA2_CONFIG = """
            {"model_type": "gemma2", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 32,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
             "query_pre_attn_scalar": 8, "sliding_window": 4, "attn_logit_softcapping": 5.0,
             "final_logit_softcapping": 10.0, "eos_token_id": 1, "pad_token_id": 0}""";

    static final String LLAMA_CONFIG = """
            {"model_type": "llama", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 32,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "tie_word_embeddings": false, "eos_token_id": 2}""";

    private TinyModels() {}

    static CausalLM random(String configJson, long seed) {
        Map<String, Object> json = Json.parseObject(configJson);
        return new CausalLM(ConfigParser.parse(json, "tiny config"), Init.random(new Generator(seed)));
    }

    /** Saves a random model as an HF-layout directory (config.json + model.safetensors). */
    static Path saveRandom(Path dir, String configJson, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        random(configJson, seed).save(dir.resolve("model.safetensors"), Map.of("format", "pt"));
        return dir;
    }
}
