package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** `liquid vq train --decay-steps`: the learning rate is constant, then falls linearly over the last D steps. */
class VqDecayScheduleTest {
    @Test void constantThenLinearTowardsZero() {
        for (int s = 1; s <= 10; s++) assertEquals(1.0, VqTrainCommand.decayFactor(s, 10, 0), "no decay: step " + s);
        double[] want = {1, 1, 1, 1, 1, 1, 4 / 5.0, 3 / 5.0, 2 / 5.0, 1 / 5.0};
        for (int s = 1; s <= 10; s++) assertEquals(want[s - 1], VqTrainCommand.decayFactor(s, 10, 4), 1e-15, "step " + s);
        assertEquals(3 / 4.0, VqTrainCommand.decayFactor(1, 3, 3), 1e-15, "decay over the whole run starts below 1");
    }
}
