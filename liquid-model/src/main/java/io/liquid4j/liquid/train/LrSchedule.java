package io.liquid4j.liquid.train;

import io.liquid4j.nn.optim.LinearDecaySchedule;

/**
 * Learning rate per step: linear warmup from lr/warmup to lr over the first `warmup` steps, then
 * a cosine decay to 0 at `total` steps (spec: cosine, warmup 3%), or constant — with
 * `decaySteps` &gt; 0 constant until the last decaySteps steps, which fall linearly towards 0
 * ({@link LinearDecaySchedule}, the rule of `vq train --decay-steps`; a warmup-stable-decay
 * schedule).
 */
public record LrSchedule(double lr, int warmup, int total, boolean cosine, int decaySteps) {
    public LrSchedule {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be a finite number >= 0, got " + lr);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (total <= 0) throw new IllegalArgumentException("the run needs at least one step, got " + total);
        if (decaySteps < 0 || decaySteps > Math.max(0, total - warmup)) {
            throw new IllegalArgumentException("--decay-steps must be in [0, " + Math.max(0, total - warmup) + "] (the steps after the warmup), got " + decaySteps);
        }
        if (cosine && decaySteps > 0) throw new IllegalArgumentException("--decay-steps applies to the constant schedule; the cosine one decays over all steps");
    }

    /** Warmup, then cosine (true) or constant (false) to the end. */
    public LrSchedule(double lr, int warmup, int total, boolean cosine) {
        this(lr, warmup, total, cosine, 0);
    }

    /** The rate of 0-based step s. */
    public double at(int s) {
        if (s < warmup) return lr * (s + 1) / warmup;
        if (!cosine) return new LinearDecaySchedule(lr, decaySteps, total).at(s);
        int span = Math.max(1, total - warmup);
        double progress = Math.min(1.0, (double) (s - warmup) / span);
        return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
