package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the model the decode benchmark runs: a Llama with TinyStories-110M dimensions (dim 768,
 * 12 layers, 12 heads, hidden 2048, vocab 32000, tied embeddings, like llama2.c's stories110M)
 * and random weights, as HF directories {@code OUT/f32} and {@code OUT/bf16} (config.json +
 * model.safetensors). Both engines read the same files. A placeholder tokenizer.json is added
 * only because Jlama's loader insists on one; the benchmark feeds token ids directly.
 *
 * <p>Usage: {@code DecodeBenchModel OUT_DIR} (skips a directory that is already complete).
 */
public final class DecodeBenchModel {
    static final int DIM = 768, LAYERS = 12, HEADS = 12, HIDDEN = 2048, VOCAB = 32000, CONTEXT = 1024;

    private DecodeBenchModel() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/target/decode-bench");
        Path f32 = out.resolve("f32"), bf16 = out.resolve("bf16");
        if (complete(f32) && complete(bf16)) {
            System.err.println("decode-bench model already at " + out);
            return;
        }
        System.err.println("writing random TinyStories-110M-shaped Llama to " + f32 + " and " + bf16 + " ...");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Map<String, Tensor> weights = randomWeights(new Generator(110));
            write(f32, weights, "float32");
            Map<String, Tensor> half = new LinkedHashMap<>();
            weights.forEach((k, v) -> half.put(k, v.to(DType.BF16)));
            write(bf16, half, "bfloat16");
        }
    }

    private static boolean complete(Path dir) {
        return Files.exists(dir.resolve("model.safetensors")) && Files.exists(dir.resolve("config.json"))
                && Files.exists(dir.resolve("tokenizer.json"));
    }

    /** N(0, 0.02²) matrices and unit norm weights, under HF Llama names; lm_head tied to the embedding. */
    static Map<String, Tensor> randomWeights(Generator gen) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", normal(gen, VOCAB, DIM));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", Tensor.ones(DType.F32, Device.CPU, DIM));
            w.put(p + "self_attn.q_proj.weight", normal(gen, DIM, DIM));
            w.put(p + "self_attn.k_proj.weight", normal(gen, DIM, DIM));
            w.put(p + "self_attn.v_proj.weight", normal(gen, DIM, DIM));
            w.put(p + "self_attn.o_proj.weight", normal(gen, DIM, DIM));
            w.put(p + "post_attention_layernorm.weight", Tensor.ones(DType.F32, Device.CPU, DIM));
            w.put(p + "mlp.gate_proj.weight", normal(gen, HIDDEN, DIM));
            w.put(p + "mlp.up_proj.weight", normal(gen, HIDDEN, DIM));
            w.put(p + "mlp.down_proj.weight", normal(gen, DIM, HIDDEN));
        }
        w.put("model.norm.weight", Tensor.ones(DType.F32, Device.CPU, DIM));
        return w;
    }

    private static Tensor normal(Generator gen, int rows, int cols) {
        return Tensor.randn(gen, DType.F32, Device.CPU, rows, cols).mul(0.02);
    }

    private static void write(Path dir, Map<String, Tensor> weights, String torchDtype) throws IOException {
        Files.createDirectories(dir);
        Checkpoint.save(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        Files.writeString(dir.resolve("config.json"), Json.write(config(torchDtype)), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(placeholderTokenizer()), StandardCharsets.UTF_8);
    }

    static Map<String, Object> config(String torchDtype) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("hidden_size", DIM);
        c.put("intermediate_size", HIDDEN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", HEADS);
        c.put("vocab_size", VOCAB);
        c.put("max_position_embeddings", CONTEXT);
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", torchDtype);
        return c;
    }

    /** A BPE tokenizer.json with 32000 entries (<unk>, <s>, </s>, 256 byte tokens, fillers) and no merges. */
    private static Map<String, Object> placeholderTokenizer() {
        Map<String, Object> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), 3 + b);
        for (int i = 259; i < VOCAB; i++) vocab.put("▁t" + i, i);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", new ArrayList<>());
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        List<Object> added = new ArrayList<>();
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < specials.length; i++) {
            added.add(Map.of("id", i, "content", specials[i], "special", true, "single_word", false, "lstrip", false,
                    "rstrip", false, "normalized", false));
        }
        tok.put("added_tokens", added);
        tok.put("model", model);
        return tok;
    }
}
