package io.liquid4j.liquid.train;

/**
 * Learning rate per step: linear warmup from lr/warmup to lr over the first `warmup` steps, then
 * constant, or a cosine decay to 0 at `total` steps (spec: cosine, warmup 3%).
 */
public record LrSchedule(double lr, int warmup, int total, boolean cosine) {
    public LrSchedule {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be a finite number >= 0, got " + lr);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (total <= 0) throw new IllegalArgumentException("the run needs at least one step, got " + total);
    }

    /** The rate of 0-based step s. */
    public double at(int s) {
        if (s < warmup) return lr * (s + 1) / warmup;
        if (!cosine) return lr;
        int span = Math.max(1, total - warmup);
        double progress = Math.min(1.0, (double) (s - warmup) / span);
        return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
