package io.liquid4j.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The schedule of `liquid vq train --decay-steps`: constant, then linear towards 0 over the last D steps. */
class LinearDecayScheduleTest {
    @Test void constantThenLinearTowardsZero() {
        LinearDecaySchedule constant = new LinearDecaySchedule(2.0, 0, 10);
        for (int s = 0; s < 10; s++) assertEquals(2.0, constant.at(s), "no decay: step " + s);
        LinearDecaySchedule d = new LinearDecaySchedule(2.0, 4, 10);
        double[] want = {1, 1, 1, 1, 1, 1, 4 / 5.0, 3 / 5.0, 2 / 5.0, 1 / 5.0};
        for (int s = 0; s < 10; s++) assertEquals(2.0 * want[s], d.at(s), 1e-15, "step " + s);
        assertEquals(2.0 / 5, d.at(12), 1e-15, "past the end: the last step's rate");
        assertEquals(3 / 4.0, new LinearDecaySchedule(1.0, 3, 3).at(0), 1e-15, "decay over the whole run starts below the peak");
    }

    @Test void refusesImpossibleSettings() {
        assertThrows(IllegalArgumentException.class, () -> new LinearDecaySchedule(1.0, 11, 10));
        assertThrows(IllegalArgumentException.class, () -> new LinearDecaySchedule(1.0, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LinearDecaySchedule(1.0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new LinearDecaySchedule(Double.NaN, 0, 10));
    }
}
