package io.liquid4j.api;

import io.liquid4j.generate.SamplingParams;

/**
 * How {@link LiquidModel#generateImages} samples images: classifier-free guidance, the token
 * choice among image codes, and how many images. Immutable; made with {@link #builder()}:
 *
 * <pre>{@code
 * ImageSettings s = ImageSettings.builder().cfg(7.0).temperature(0.9).topK(2048).seed(1).count(4).build();
 * }</pre>
 *
 * Each image costs two rows (conditional and unconditional prompt) of the model; the logits
 * sampled are {@code uncond + cfg · (cond − uncond)} over the image codes only.
 */
public final class ImageSettings {
    private final double cfg;
    private final SamplingParams sampling;
    private final int count;

    private ImageSettings(Builder b) {
        if (!(b.cfg >= 0) || Double.isInfinite(b.cfg)) throw new IllegalArgumentException("cfg must be a finite number ≥ 0 (1 = no guidance), got " + b.cfg);
        if (b.count < 1) throw new IllegalArgumentException("count must be at least 1, got " + b.count);
        if (Double.isInfinite(b.temperature)) throw new IllegalArgumentException("temperature must be finite, got " + b.temperature);
        this.cfg = b.cfg;
        this.count = b.count;
        this.sampling = new SamplingParams(b.temperature, b.topK, b.topP, b.seed);
    }

    /** The defaults: cfg 7 (Liquid's), temperature 0.9, top-k 2048, top-p 1, seed 0, one image. */
    public static ImageSettings defaults() { return builder().build(); }

    /** A builder starting from the defaults. */
    public static Builder builder() { return new Builder(); }

    /** The guidance scale (1 = none). */
    public double cfg() { return cfg; }

    /** Temperature, top-k, top-p and seed over the image codes. */
    public SamplingParams sampling() { return sampling; }

    /** How many images one call generates for its prompt. */
    public int count() { return count; }

    @Override public String toString() { return "ImageSettings[cfg=" + cfg + ", " + sampling + ", count=" + count + "]"; }

    /** Builds {@link ImageSettings}; every value is checked by {@link #build()}. */
    public static final class Builder {
        private double cfg = 7.0;
        private double temperature = 0.9;
        private int topK = 2048;
        private double topP = 1;
        private long seed;
        private int count = 1;

        private Builder() {}

        /** Classifier-free guidance scale, ≥ 0 (default 7; 1 = no guidance). */
        public Builder cfg(double scale) { cfg = scale; return this; }

        /** Sampling temperature over the guided logits (default 0.9; 0 = greedy). */
        public Builder temperature(double t) { temperature = t; return this; }

        /** Sample among the k most likely codes (default 2048; 0 = all). */
        public Builder topK(int k) { topK = k; return this; }

        /** Nucleus sampling mass (default 1 = off). */
        public Builder topP(double p) { topP = p; return this; }

        /** Seed of the sampling stream (default 0). */
        public Builder seed(long s) { seed = s; return this; }

        /** Images per call (default 1); they are generated together as one batch. */
        public Builder count(int n) { count = n; return this; }

        /** The settings; throws IllegalArgumentException naming a value out of range. */
        public ImageSettings build() { return new ImageSettings(this); }
    }
}
