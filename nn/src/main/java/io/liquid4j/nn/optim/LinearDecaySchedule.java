package io.liquid4j.nn.optim;

/**
 * Learning rate held at peak, then falling linearly towards 0 over the last decaySteps of
 * totalSteps: for step s (0-based) with left = total − s steps to go (this one included),
 * left &gt; decay: peak; else peak·left/(decay + 1), so the last step runs at peak/(decay + 1).
 * decaySteps = 0 is a constant rate. Past total the rate stays at the last step's.
 */
public record LinearDecaySchedule(double peak, int decaySteps, int totalSteps) {
    public LinearDecaySchedule {
        if (totalSteps <= 0 || decaySteps < 0 || decaySteps > totalSteps || !(peak >= 0)) {
            throw new IllegalArgumentException("linear decay schedule needs 0 ≤ decay ≤ total, total > 0 and a rate ≥ 0");
        }
    }

    public double at(int step) {
        int left = Math.max(1, totalSteps - step);
        return left > decaySteps ? peak : peak * ((double) left / (decaySteps + 1));
    }
}
