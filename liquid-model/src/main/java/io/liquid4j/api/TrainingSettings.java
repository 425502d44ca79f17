package io.liquid4j.api;

/**
 * How a {@link Training} session updates the weights: AdamW's learning rate and weight decay,
 * the schedule (linear warmup, then a cosine decay to 0 at {@code totalSteps}, or a constant rate
 * that may fall linearly towards 0 over its last {@code decaySteps}),
 * gradient clipping and the z-loss. Immutable; made with {@link #builder()}:
 *
 * <pre>{@code
 * TrainingSettings s = TrainingSettings.builder().learningRate(1e-3).totalSteps(100).warmupSteps(5).build();
 * }</pre>
 */
public final class TrainingSettings {
    private final double learningRate, weightDecay, maxGradNorm, zLoss;
    private final int totalSteps, warmupSteps, decaySteps;
    private final boolean cosine;
    private final long seed;

    private TrainingSettings(Builder b) {
        if (!(b.learningRate > 0) || Double.isInfinite(b.learningRate)) throw new IllegalArgumentException("learningRate must be a finite number > 0, got " + b.learningRate);
        if (b.totalSteps < 1) throw new IllegalArgumentException("totalSteps must be at least 1, got " + b.totalSteps);
        if (b.warmupSteps < 0) throw new IllegalArgumentException("warmupSteps must be ≥ 0, got " + b.warmupSteps);
        if (b.decaySteps < 0 || b.decaySteps > Math.max(0, b.totalSteps - b.warmupSteps)) {
            throw new IllegalArgumentException("decaySteps must be in [0, totalSteps - warmupSteps], got " + b.decaySteps);
        }
        if (b.cosine && b.decaySteps > 0) throw new IllegalArgumentException("decaySteps applies to the constant schedule (cosine(false))");
        if (!(b.weightDecay >= 0) || !(b.maxGradNorm >= 0) || !(b.zLoss >= 0)) {
            throw new IllegalArgumentException("weightDecay, maxGradNorm and zLoss must be ≥ 0, got " + b.weightDecay + ", " + b.maxGradNorm + ", " + b.zLoss);
        }
        learningRate = b.learningRate;
        weightDecay = b.weightDecay;
        maxGradNorm = b.maxGradNorm;
        zLoss = b.zLoss;
        totalSteps = b.totalSteps;
        warmupSteps = b.warmupSteps;
        decaySteps = b.decaySteps;
        cosine = b.cosine;
        seed = b.seed;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() { return new Builder(); }

    /** Peak learning rate. */
    public double learningRate() { return learningRate; }

    /** AdamW's decoupled weight decay. */
    public double weightDecay() { return weightDecay; }

    /** Gradients are clipped to this global L2 norm (0 = no clipping). */
    public double maxGradNorm() { return maxGradNorm; }

    /** Weight of the z-loss (mean squared logsumexp of the logits; Liquid trains with 1e-5). */
    public double zLoss() { return zLoss; }

    /** The steps the schedule spans. */
    public int totalSteps() { return totalSteps; }

    /** Steps of linear warmup from 0 to the learning rate. */
    public int warmupSteps() { return warmupSteps; }

    /** Cosine decay after the warmup (false: constant). */
    public boolean cosine() { return cosine; }

    /** With a constant rate: the last steps over which it falls linearly towards 0 (0 = none). */
    public int decaySteps() { return decaySteps; }

    /** Seed of the per-example draws (which text-to-image phrase, unconditional samples). */
    public long seed() { return seed; }

    /** Builds {@link TrainingSettings}; every value is checked by {@link #build()}. */
    public static final class Builder {
        private double learningRate = 3e-4, weightDecay = 0.1, maxGradNorm = 1.0, zLoss;
        private int totalSteps = 1000, warmupSteps = 30, decaySteps;
        private boolean cosine = true;
        private long seed;

        private Builder() {}

        /** Peak learning rate (default 3e-4). */
        public Builder learningRate(double lr) { learningRate = lr; return this; }

        /** AdamW weight decay (default 0.1). */
        public Builder weightDecay(double wd) { weightDecay = wd; return this; }

        /** Clip gradients to this global norm (default 1; 0 = off). */
        public Builder maxGradNorm(double norm) { maxGradNorm = norm; return this; }

        /** z-loss weight (default 0; Liquid uses 1e-5). */
        public Builder zLoss(double weight) { zLoss = weight; return this; }

        /** Steps the schedule spans (default 1000); stepping past it keeps the final learning rate. */
        public Builder totalSteps(int n) { totalSteps = n; return this; }

        /** Linear warmup steps (default 30). */
        public Builder warmupSteps(int n) { warmupSteps = n; return this; }

        /** Cosine decay (default) or a constant learning rate after the warmup. */
        public Builder cosine(boolean c) { cosine = c; return this; }

        /** With cosine(false): the rate falls linearly towards 0 over the last n steps (default 0: constant to the end). */
        public Builder decaySteps(int n) { decaySteps = n; return this; }

        /** Seed of the per-example draws (default 0). */
        public Builder seed(long s) { seed = s; return this; }

        /** The settings; throws IllegalArgumentException naming a value out of range. */
        public TrainingSettings build() { return new TrainingSettings(this); }
    }
}
