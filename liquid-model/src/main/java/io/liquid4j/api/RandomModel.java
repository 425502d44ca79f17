package io.liquid4j.api;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.BpeTrainer;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a new model directory with random weights, to train from scratch or to try the API
 * without downloading a checkpoint (what {@code liquid train-tokenizer}, {@code liquid init} and
 * {@code liquid vq train --steps 0} do, in one call): a byte-level BPE tokenizer learned from a
 * corpus, a Llama-architecture config and random weights, and, with {@link Builder#liquid}, a
 * random VQGAN and liquid.json, making it a Liquid model.
 *
 * <pre>{@code
 * Path dir = RandomModel.builder().corpus(List.of("a red square", "a blue circle")).hiddenSize(64).layers(2)
 *         .liquid(64, 32, 8).build().writeTo(Path.of("tiny-liquid"));
 * LiquidModel model = LiquidModel.load(dir);
 * }</pre>
 */
public final class RandomModel {
    private final Builder b;

    private RandomModel(Builder b) { this.b = b; }

    /** A builder with small defaults (hidden 64, 2 layers, 4 heads, context 512, BPE vocabulary 300). */
    public static Builder builder() { return new Builder(); }

    /**
     * Writes the model into {@code dir} (created; an existing directory must be empty) and
     * returns it: tokenizer.json, tokenizer_config.json, config.json, model.safetensors, and for a
     * Liquid model liquid.json and vqgan/.
     */
    public Path writeTo(Path dir) {
        Backends.requireJvmFlags();
        try {
            if (Files.exists(dir)) {
                try (var s = Files.list(dir)) {
                    if (s.findAny().isPresent()) throw new IllegalArgumentException(dir + " already exists and is not empty: choose a new directory");
                }
            }
            Files.createDirectories(dir);
            List<String> specials = new ArrayList<>(BpeTrainer.DEFAULT_SPECIAL_TOKENS);
            if (b.imageCodes > 0) specials.addAll(List.of(LiquidLayout.BOI, LiquidLayout.EOI, LiquidLayout.UNCONDITIONAL));
            BpeTrainer.builder().vocabSize(b.vocabSize).specialTokens(specials).build().addAll(b.corpus).train().write(dir);
            Tokenizer tok = Tokenizer.load(dir);
            int textVocab = tok.vocabSize();
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("model_type", "llama");
            config.put("architectures", List.of("LlamaForCausalLM"));
            config.put("vocab_size", (long) textVocab + b.imageCodes);
            config.put("hidden_size", b.hiddenSize);
            config.put("intermediate_size", b.intermediateSize > 0 ? b.intermediateSize : 4 * b.hiddenSize);
            config.put("num_hidden_layers", b.layers);
            config.put("num_attention_heads", b.heads);
            config.put("num_key_value_heads", b.kvHeads > 0 ? b.kvHeads : b.heads);
            config.put("max_position_embeddings", b.context);
            config.put("rms_norm_eps", 1e-5);
            config.put("rope_theta", 10000.0);
            config.put("tie_word_embeddings", false);
            config.put("bos_token_id", tok.bosId());
            config.put("eos_token_id", tok.eosId());
            config.put("pad_token_id", Math.max(tok.tokenToId("<pad>"), 0));
            String json = Json.write(config);
            CausalLM lm = new CausalLM(ConfigParser.parse(Json.parseObject(json), "RandomModel"), Init.random(new Generator(b.seed)));
            Files.writeString(dir.resolve("config.json"), json + "\n");
            lm.save(dir.resolve("model.safetensors"), Map.of("format", "pt"));
            if (b.imageCodes > 0) {
                int levels = Integer.numberOfTrailingZeros(b.downFactor) + 1;
                int[] chMult = new int[levels];
                for (int i = 0; i < levels; i++) chMult[i] = i == 0 ? 1 : 2;
                VqConfig vc = new VqConfig(8, b.imageCodes, false, 8, b.imageSize, 3, 3, 16, chMult, 1, new int[0], 0.0, 8, false);
                int grid = vc.gridSize(b.imageSize);
                Path vq = Files.createDirectories(dir.resolve("vqgan"));
                vc.write(vq.resolve("config.json"));
                new VQModel(vc, new Generator(b.seed + 1)).save(vq.resolve("model.safetensors"), Map.of("format", "pt"));
                new LiquidLayout(textVocab, b.imageCodes, tok.tokenToId(LiquidLayout.BOI), tok.tokenToId(LiquidLayout.EOI),
                        tok.tokenToId(LiquidLayout.UNCONDITIONAL), grid, grid, "vqgan").write(dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the model: " + e.getMessage(), e);
        }
    }

    /** Sizes of the new model; {@link #build()} checks them. */
    public static final class Builder {
        private List<String> corpus = List.of("the quick brown fox jumps over the lazy dog");
        private int vocabSize = 300, hiddenSize = 64, intermediateSize, layers = 2, heads = 4, kvHeads, context = 512;
        private int imageCodes, imageSize, downFactor;
        private long seed;

        private Builder() {}

        /** Text the BPE tokenizer learns its merges from. */
        public Builder corpus(List<String> texts) { corpus = List.copyOf(texts); return this; }

        /** Tokenizer vocabulary: the 256 byte tokens, the special tokens, then merges (default 300). */
        public Builder vocabSize(int n) { vocabSize = n; return this; }

        /** Model width (default 64). */
        public Builder hiddenSize(int n) { hiddenSize = n; return this; }

        /** MLP width (default 4 × hidden size). */
        public Builder intermediateSize(int n) { intermediateSize = n; return this; }

        /** Decoder layers (default 2). */
        public Builder layers(int n) { layers = n; return this; }

        /** Attention heads (default 4; hidden size must divide by it). */
        public Builder heads(int n) { heads = n; return this; }

        /** Key/value heads for grouped-query attention (default: as many as heads). */
        public Builder kvHeads(int n) { kvHeads = n; return this; }

        /** Context length in tokens (default 512). */
        public Builder context(int n) { context = n; return this; }

        /** Seed of the random weights (default 0). */
        public Builder seed(long s) { seed = s; return this; }

        /**
         * Makes it a Liquid model: {@code imageCodes} VQGAN codes appended to the vocabulary, a
         * random VQGAN for {@code imageSize}-pixel images that downsamples by {@code downFactor}
         * (a power of two), so an image is (imageSize / downFactor)² codes.
         */
        public Builder liquid(int imageCodes, int imageSize, int downFactor) {
            this.imageCodes = imageCodes;
            this.imageSize = imageSize;
            this.downFactor = downFactor;
            return this;
        }

        /** Checks the sizes. */
        public RandomModel build() {
            if (hiddenSize <= 0 || layers <= 0 || heads <= 0 || context < 2 || kvHeads < 0 || intermediateSize < 0) {
                throw new IllegalArgumentException("sizes must be positive: hidden " + hiddenSize + ", layers " + layers + ", heads " + heads + ", context " + context);
            }
            if (hiddenSize % heads != 0) throw new IllegalArgumentException("hidden size " + hiddenSize + " does not divide by " + heads + " heads");
            if (imageCodes < 0) throw new IllegalArgumentException("imageCodes must be ≥ 0, got " + imageCodes);
            if (imageCodes > 0) {
                if (downFactor < 1 || Integer.bitCount(downFactor) != 1) throw new IllegalArgumentException("downFactor must be a power of two, got " + downFactor);
                if (imageSize < downFactor || imageSize % downFactor != 0) throw new IllegalArgumentException("imageSize " + imageSize + " must be a multiple of downFactor " + downFactor);
                long tokens = (long) (imageSize / downFactor) * (imageSize / downFactor);
                if (tokens + 16 > context) throw new IllegalArgumentException("an image of " + tokens + " codes does not fit the context of " + context);
            }
            return new RandomModel(this);
        }
    }
}
