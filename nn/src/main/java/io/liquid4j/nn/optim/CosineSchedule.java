package io.liquid4j.nn.optim;

/**
 * Learning rate with linear warmup then cosine decay: for step s (0-based),
 * s &lt; warmup: peak·(s + 1)/warmup; after: min + ½(peak − min)(1 + cos(π·(s − warmup)/(total − warmup))).
 * Past total the rate stays at min.
 */
public record CosineSchedule(double peak, double min, int warmupSteps, int totalSteps) {
    public CosineSchedule {
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps || peak < 0 || min < 0) {
            throw new IllegalArgumentException("cosine schedule needs 0 ≤ warmup ≤ total, total > 0 and rates ≥ 0");
        }
    }

    public double at(int step) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
    }
}
