package io.liquid4j.bench;

import java.util.Arrays;

/**
 * Timings of repeated prefill + greedy decode runs, and the one line both benchmark programs
 * print so bench/compare-jlama.sh can put them side by side:
 * {@code RESULT <engine> <dtype> prefill_tok_s=<median> decode_tok_s=<median> ...}.
 */
record DecodeBenchResult(String engine, String dtype, int promptTokens, int newTokens, double[] prefillSeconds,
                         double[] decodeSeconds, int[] firstTokens) {

    String line() {
        return String.format("RESULT %s %s prefill_tok_s=%.1f decode_tok_s=%.2f prompt=%d new=%d runs=%d prefill_s=%s decode_s=%s first_tokens=%s",
                engine, dtype, promptTokens / median(prefillSeconds), newTokens / median(decodeSeconds), promptTokens, newTokens,
                prefillSeconds.length, fmt(prefillSeconds), fmt(decodeSeconds), Arrays.toString(firstTokens).replace(" ", ""));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) sb.append(sb.isEmpty() ? "" : ",").append(String.format("%.3f", d));
        return sb.toString();
    }

    /** The benchmark prompt: fixed pseudo-random ids in [3, vocab), identical for every engine. */
    static int[] prompt(int length, int vocab) {
        int[] ids = new int[length];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            ids[i] = 3 + (int) Math.floorMod(x, (long) (vocab - 3));
        }
        ids[0] = 1; // BOS
        return ids;
    }
}
