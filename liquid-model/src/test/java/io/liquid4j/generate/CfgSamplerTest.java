package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The CFG step against a distribution worked out by hand from the spec's order of operations. */
class CfgSamplerTest {
    // five image codes; the logits sit at offset 2 of their arrays (as rows of a batch would)
    private static final float[] COND = {9, 9, 2, 1, 0, -1, 0.5f};
    private static final float[] UNCOND = {7, 1, 1, 1, 1, 1};

    @Test
    void mixTemperatureTopKTopPByHand() {
        // mix, cfg 3:        u + (c − u)·3 = [4, 1, −2, −5, −0.5]
        // temperature 2:     [2, 0.5, −1, −2.5, −0.25]
        // top-k 3:           codes 0, 1, 4 with e^2, e^0.5, e^−0.25 → p = 0.7527, 0.1680, 0.0793
        // top-p 0.9:         0.7527 < 0.9, 0.7527 + 0.1680 ≥ 0.9 → keep codes 0 and 1
        // renormalised:      e^2 / (e^2 + e^0.5) = 0.81757, e^0.5 / (…) = 0.18243
        CfgSampler s = new CfgSampler(3.0, new SamplingParams(2.0, 3, 0.9, 11));
        Sampler.Distribution d = s.distribution(COND, 2, UNCOND, 1, 5);
        assertArrayEquals(new int[] {0, 1}, d.ids());
        assertEquals(0.817574, d.p()[0], 1e-6);
        assertEquals(0.182426, d.p()[1], 1e-6);
    }

    @Test
    void samplesFollowTheDistribution() {
        CfgSampler s = new CfgSampler(3.0, new SamplingParams(2.0, 3, 0.9, 11));
        int n = 20_000, zeros = 0;
        for (int i = 0; i < n; i++) {
            int code = s.sample(COND, 2, UNCOND, 1, 5);
            assertTrue(code == 0 || code == 1, "code " + code + " is outside the kept set");
            if (code == 0) zeros++;
        }
        double p = 0.817574, sd = Math.sqrt(n * p * (1 - p));
        assertEquals(n * p, zeros, 4 * sd, "draws of code 0");
    }

    @Test
    void cfgOneIsTheConditionalRowAndTopKOneIsGreedy() {
        CfgSampler plain = new CfgSampler(1.0, new SamplingParams(1.0, 0, 1.0, 1));
        Sampler.Distribution d = plain.distribution(COND, 2, UNCOND, 1, 5);
        Sampler.Distribution want = new Sampler(new SamplingParams(1.0, 0, 1.0, 1)).distribution(COND, 2, 5);
        assertArrayEquals(want.ids(), d.ids());
        assertArrayEquals(want.p(), d.p(), 1e-6);
        // cfg 7 with top-k 1: argmax of u + 7(c − u) = [8, 1, −6, −13, −2.5] is code 0
        assertEquals(0, new CfgSampler(7.0, new SamplingParams(0.99, 1, 0.96, 5)).sample(COND, 2, UNCOND, 1, 5));
    }

    @Test
    void badScaleIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CfgSampler(Double.NaN, SamplingParams.GREEDY));
        assertThrows(IllegalArgumentException.class, () -> new CfgSampler(-1, SamplingParams.GREEDY));
    }
}
