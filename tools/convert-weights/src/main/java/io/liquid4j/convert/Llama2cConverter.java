package io.liquid4j.convert;

import io.liquid4j.tensor.io.Json;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.liquid4j.convert.StreamingSafetensorsWriter.PlannedTensor;

/**
 * Turns a legacy llama2.c checkpoint into an HF-layout Llama directory: config.json,
 * model.safetensors (HF tensor names, F32, wq/wk rows permuted for rotate_half RoPE) and the
 * tokenizer copied as tokenizer.bin. Tensors stream from the .bin to the output one at a time.
 */
public final class Llama2cConverter {
    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String TOKENIZER_FILE = "tokenizer.bin";

    private Llama2cConverter() {}

    /**
     * Converts {@code model} (and copies {@code tokenizer} when not null) into {@code outDir}.
     * Progress goes to {@code progress} when not null.
     */
    public static Llama2cHeader convert(Path model, Path tokenizer, Path outDir, PrintStream progress) {
        Llama2cHeader h = Llama2cHeader.read(model);
        if (tokenizer != null) {
            int tokens = Llama2cTokenizerFile.countTokens(tokenizer);
            if (tokens != h.vocabSize()) {
                throw new ConversionException(tokenizer, "holds " + tokens + " tokens but " + model.getFileName()
                        + " has vocab_size " + h.vocabSize() + "; they do not belong together");
            }
        }
        if (progress != null) progress.println("llama2.c checkpoint " + model + ": " + h.describe());
        StreamingSafetensorsWriter.write(outDir.resolve(WEIGHTS_FILE), plan(model, h),
                Map.of("format", "pt", "converted_from", "llama2.c " + model.getFileName()), progress);
        AtomicFiles.write(outDir.resolve(CONFIG_FILE), Json.write(config(h)).getBytes(StandardCharsets.UTF_8));
        if (tokenizer != null && !isSameFile(tokenizer, outDir.resolve(TOKENIZER_FILE))) {
            AtomicFiles.copy(tokenizer, outDir.resolve(TOKENIZER_FILE));
        }
        return h;
    }

    /** The HF config.json of the converted model (LlamaForCausalLM, transformers v4 keys). */
    public static Map<String, Object> config(Llama2cHeader h) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("hidden_size", h.dim());
        c.put("intermediate_size", h.hiddenDim());
        c.put("num_hidden_layers", h.nLayers());
        c.put("num_attention_heads", h.nHeads());
        c.put("num_key_value_heads", h.nKvHeads());
        c.put("head_dim", h.headSize());
        c.put("vocab_size", h.vocabSize());
        c.put("max_position_embeddings", h.seqLen());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("tie_word_embeddings", h.sharedClassifier());
        c.put("bos_token_id", 1);   // llama2.c / sentencepiece Llama 2 vocabulary: <unk>=0, <s>=1, </s>=2
        c.put("eos_token_id", 2);
        c.put("torch_dtype", "float32");
        return c;
    }

    /** Output tensors in HF order, each streamed from its place in the .bin. */
    static List<PlannedTensor> plan(Path bin, Llama2cHeader h) {
        int dim = h.dim(), hidden = h.hiddenDim(), kvDim = h.kvDim(), hs = h.headSize();
        List<PlannedTensor> out = new ArrayList<>();
        out.add(copy(bin, "model.embed_tokens.weight", h.embeddingOffset(), h.vocabSize(), dim));
        for (int l = 0; l < h.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            out.add(copy(bin, p + "input_layernorm.weight", h.rmsAttOffset() + bytes((long) l * dim), dim));
            out.add(new PlannedTensor(p + "self_attn.q_proj.weight", "F32", new long[] {dim, dim},
                    QkPermutation.permutedRows(bin, h.wqOffset() + bytes((long) l * dim * dim), h.nHeads(), hs, dim)));
            out.add(new PlannedTensor(p + "self_attn.k_proj.weight", "F32", new long[] {kvDim, dim},
                    QkPermutation.permutedRows(bin, h.wkOffset() + bytes((long) l * kvDim * dim), h.nKvHeads(), hs, dim)));
            out.add(copy(bin, p + "self_attn.v_proj.weight", h.wvOffset() + bytes((long) l * kvDim * dim), kvDim, dim));
            out.add(copy(bin, p + "self_attn.o_proj.weight", h.woOffset() + bytes((long) l * dim * dim), dim, dim));
            out.add(copy(bin, p + "post_attention_layernorm.weight", h.rmsFfnOffset() + bytes((long) l * dim), dim));
            out.add(copy(bin, p + "mlp.gate_proj.weight", h.w1Offset() + bytes((long) l * hidden * dim), hidden, dim));
            out.add(copy(bin, p + "mlp.up_proj.weight", h.w3Offset() + bytes((long) l * hidden * dim), hidden, dim));
            out.add(copy(bin, p + "mlp.down_proj.weight", h.w2Offset() + bytes((long) l * dim * hidden), dim, hidden));
        }
        out.add(copy(bin, "model.norm.weight", h.rmsFinalOffset(), dim));
        if (!h.sharedClassifier()) out.add(copy(bin, "lm_head.weight", h.classifierOffset(), h.vocabSize(), dim));
        return out;
    }

    private static PlannedTensor copy(Path bin, String name, long offset, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return new PlannedTensor(name, "F32", shape, StreamingSafetensorsWriter.copyOf(bin, offset, bytes(n)));
    }

    private static long bytes(long floats) { return floats * Float.BYTES; }

    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
