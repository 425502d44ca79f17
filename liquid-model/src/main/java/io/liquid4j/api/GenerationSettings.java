package io.liquid4j.api;

import io.liquid4j.generate.SamplingParams;
import java.util.Arrays;

/**
 * How {@link LiquidModel#generate} and {@link LiquidModel#caption} write text: the token choice
 * (temperature, top-k, top-p, seed), how many tokens at most, and which ids end the text.
 * Immutable; made with {@link #builder()}:
 *
 * <pre>{@code
 * GenerationSettings s = GenerationSettings.builder().temperature(0.8).topP(0.95).seed(7).maxNewTokens(200).build();
 * }</pre>
 *
 * Unless {@link Builder#stopIds} is given, generation stops at the model's EOS ids (config.json's
 * {@code eos_token_id}) and the tokenizer's EOS.
 */
public final class GenerationSettings {
    private final int maxNewTokens;
    private final SamplingParams sampling;
    private final int[] stopIds;

    private GenerationSettings(Builder b) {
        if (b.maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be ≥ 0, got " + b.maxNewTokens);
        if (Double.isInfinite(b.temperature)) throw new IllegalArgumentException("temperature must be finite, got " + b.temperature);
        this.maxNewTokens = b.maxNewTokens;
        this.sampling = new SamplingParams(b.temperature, b.topK, b.topP, b.seed);
        this.stopIds = b.stopIds == null ? null : b.stopIds.clone();
    }

    /** Settings with the defaults: greedy, 64 new tokens at most, the model's EOS ids. */
    public static GenerationSettings defaults() { return builder().build(); }

    /** Greedy decoding (temperature 0) of at most {@code maxNewTokens} tokens. */
    public static GenerationSettings greedy(int maxNewTokens) { return builder().maxNewTokens(maxNewTokens).build(); }

    /** A builder starting from the defaults. */
    public static Builder builder() { return new Builder(); }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder().maxNewTokens(maxNewTokens).temperature(sampling.temperature()).topK(sampling.topK())
                .topP(sampling.topP()).seed(sampling.seed());
        b.stopIds = stopIds == null ? null : stopIds.clone();
        return b;
    }

    /** The most tokens generated (the model's context may cut it further). */
    public int maxNewTokens() { return maxNewTokens; }

    /** Temperature, top-k, top-p and seed as the generators take them. */
    public SamplingParams sampling() { return sampling; }

    /** The ids that end the text, or null for the model's default (its and its tokenizer's EOS). */
    public int[] stopIds() { return stopIds == null ? null : stopIds.clone(); }

    @Override public String toString() {
        return "GenerationSettings[maxNewTokens=" + maxNewTokens + ", " + sampling + ", stopIds="
                + (stopIds == null ? "model default" : Arrays.toString(stopIds)) + "]";
    }

    /** Builds {@link GenerationSettings}; every value is checked by {@link #build()}. */
    public static final class Builder {
        private int maxNewTokens = 64;
        private double temperature;
        private int topK;
        private double topP = 1;
        private long seed;
        private int[] stopIds;

        private Builder() {}

        /** At most this many new tokens (default 64). */
        public Builder maxNewTokens(int n) { maxNewTokens = n; return this; }

        /** 0 (the default) picks the most likely token; above 0 samples from logits / temperature. */
        public Builder temperature(double t) { temperature = t; return this; }

        /** Sample among the k most likely tokens only (0, the default: all). */
        public Builder topK(int k) { topK = k; return this; }

        /** Nucleus sampling: the smallest set of tokens whose probability reaches p (1, the default: off). */
        public Builder topP(double p) { topP = p; return this; }

        /** Seed of the sampling stream: the same seed gives the same text (default 0). */
        public Builder seed(long s) { seed = s; return this; }

        /** Ids that end the text, replacing the model's EOS ids; none (null) restores the default. */
        public Builder stopIds(int... ids) { stopIds = ids == null ? null : ids.clone(); return this; }

        /** The settings; throws IllegalArgumentException naming a value out of range. */
        public GenerationSettings build() { return new GenerationSettings(this); }
    }
}
