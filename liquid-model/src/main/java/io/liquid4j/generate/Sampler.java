package io.liquid4j.generate;

import io.liquid4j.tensor.Generator;
import java.util.Arrays;

/**
 * Picks token ids from one row of logits on the host: argmax when greedy, else temperature →
 * top-k → softmax → top-p (HF's warper order) and one seeded uniform draw. The random stream is
 * counter-based ({@link Generator}), so a seed reproduces the same tokens on any machine.
 */
public final class Sampler {
    private final SamplingParams params;
    private final Generator gen;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.gen = new Generator(params.seed());
    }

    /** The next token for logits[offset, offset + vocab). */
    public int sample(float[] logits, int offset, int vocab) {
        if (params.greedy()) return argmax(logits, offset, vocab);
        Distribution d = distribution(logits, offset, vocab);
        double u = Generator.uniform(Generator.bits(gen.seed(), gen.advance(1)));
        for (int i = 0; i < d.ids().length; i++) {
            u -= d.p()[i];
            if (u < 0) return d.ids()[i];
        }
        return d.ids()[d.ids().length - 1];
    }

    /**
     * The distribution sample() draws from: the kept ids (most likely first when top-k or top-p
     * cut, else in id order) and their probabilities, renormalised to sum to 1. Greedy: the
     * argmax with probability 1.
     */
    public Distribution distribution(float[] logits, int offset, int vocab) {
        if (params.greedy()) return new Distribution(new int[] {argmax(logits, offset, vocab)}, new double[] {1});
        int[] candidates = topK(logits, offset, vocab, params.topK(), params.topP() < 1);
        int n = candidates.length;
        double[] p = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + candidates[i]] / params.temperature());
        double sum = 0;
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp(logits[offset + candidates[i]] / params.temperature() - max);
        for (int i = 0; i < n; i++) p[i] /= sum;
        if (params.topP() < 1) n = nucleus(candidates, p, params.topP());
        double total = 0;
        for (int i = 0; i < n; i++) total += p[i];
        double[] kept = new double[n];
        for (int i = 0; i < n; i++) kept[i] = p[i] / total;
        return new Distribution(Arrays.copyOf(candidates, n), kept);
    }

    /** Token ids and their probabilities (summing to 1). */
    public record Distribution(int[] ids, double[] p) {}

    /** Index of the largest logit (the first on ties). */
    public static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        float bv = logits[offset];
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > bv) {
                bv = logits[offset + i];
                best = i;
            }
        }
        return best;
    }

    /**
     * Ids of the k largest logits in descending order, ties by ascending id (k = 0 or ≥ vocab:
     * all ids, sorted only when top-p needs the order; plain sampling needs none). Works on
     * primitive sort keys: a quickselect for the top k, then a sort of those k only.
     */
    private static int[] topK(float[] logits, int offset, int vocab, int k, boolean sorted) {
        int keep = k == 0 || k >= vocab ? vocab : k;
        if (keep == vocab && !sorted) {
            int[] all = new int[vocab];
            for (int i = 0; i < vocab; i++) all[i] = i;
            return all;
        }
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) keys[i] = sortKey(logits[offset + i], i);
        if (keep < vocab) select(keys, keep);
        Arrays.sort(keys, 0, keep);
        int[] r = new int[keep];
        for (int i = 0; i < keep; i++) r[i] = (int) keys[i];
        return r;
    }

    /** A long that sorts ascending by (logit descending, id ascending); the id is the low 32 bits. */
    private static long sortKey(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);     // orders like the float values
        return ((long) ~ascending << 32) | id;
    }

    /** Reorders keys so that its k smallest come first (in any order): iterative quickselect. */
    private static void select(long[] keys, int k) {
        int lo = 0, hi = keys.length - 1;
        while (lo < hi) {
            long pivot = keys[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) {
                    long t = keys[i];
                    keys[i++] = keys[j];
                    keys[j--] = t;
                }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }

    /** Length of the shortest prefix (probabilities descending) whose mass reaches topP; at least 1. */
    private static int nucleus(int[] ids, double[] p, double topP) {
        double cum = 0;
        for (int i = 0; i < ids.length; i++) {
            cum += p[i];
            if (cum >= topP) return i + 1;
        }
        return ids.length;
    }
}
