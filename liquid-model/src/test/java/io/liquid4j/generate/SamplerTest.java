package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.0f, -1.0f, 2.5f};

    @Test
    void greedyIsArgmax() {
        assertEquals(1, new Sampler(SamplingParams.GREEDY).sample(LOGITS, 0, 5));
        float[] two = {0, 0, 9, 1, 7, 0};     // a second row at offset 3
        assertEquals(1, new Sampler(SamplingParams.GREEDY).sample(two, 3, 3));
    }

    @Test
    void topKOneIsArgmaxAtAnyTemperature() {
        Sampler s = new Sampler(new SamplingParams(5.0, 1, 1.0, 3));
        for (int i = 0; i < 50; i++) assertEquals(1, s.sample(LOGITS, 0, 5));
    }

    @Test
    void tinyTopPIsArgmax() {
        Sampler s = new Sampler(new SamplingParams(1.0, 0, 1e-6, 3));
        for (int i = 0; i < 50; i++) assertEquals(1, s.sample(LOGITS, 0, 5));
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        Sampler s = new Sampler(new SamplingParams(1.0, 0, 1.0, 42));
        int n = 40000;
        int[] counts = new int[5];
        for (int i = 0; i < n; i++) counts[s.sample(LOGITS, 0, 5)]++;
        double z = 0;
        for (float l : LOGITS) z += Math.exp(l);
        for (int i = 0; i < 5; i++) assertEquals(Math.exp(LOGITS[i]) / z, counts[i] / (double) n, 0.01, "token " + i);
    }

    @Test
    void topKAndTopPRestrictTheSupport() {
        // softmax of LOGITS: token 1 ≈ 0.47, 4 ≈ 0.29, 2 ≈ 0.17: top-p 0.7 keeps {1, 4}
        Sampler p = new Sampler(new SamplingParams(1.0, 0, 0.7, 5));
        Sampler k = new Sampler(new SamplingParams(1.0, 2, 1.0, 5));
        boolean saw4 = false;
        for (int i = 0; i < 2000; i++) {
            int a = p.sample(LOGITS, 0, 5), b = k.sample(LOGITS, 0, 5);
            assertTrue(a == 1 || a == 4, "top-p drew " + a);
            assertTrue(b == 1 || b == 4, "top-k drew " + b);
            saw4 |= a == 4;
        }
        assertTrue(saw4);
    }

    @Test
    void topKOverALargeVocabularyDrawsExactlyTheKBest() {
        java.util.Random rnd = new java.util.Random(5);
        float[] logits = new float[5000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian();
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        java.util.Set<Integer> best = java.util.Set.of(order[0], order[1], order[2], order[3], order[4]);
        Sampler s = new Sampler(new SamplingParams(1000.0, 5, 1.0, 9));   // hot: nearly uniform over the five
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 500; i++) {
            int t = s.sample(logits, 0, logits.length);
            assertTrue(best.contains(t), "drew " + t + " outside the top 5");
            seen.add(t);
        }
        assertEquals(best, seen);
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        int[] a = draws(7), b = draws(7), c = draws(8);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -2, 1, 0));
    }

    private static int[] draws(long seed) {
        Sampler s = new Sampler(new SamplingParams(2.0, 0, 1.0, seed));
        int[] r = new int[64];
        for (int i = 0; i < r.length; i++) r[i] = s.sample(LOGITS, 0, 5);
        return r;
    }
}
