package io.liquid4j.nn.vqgan;

import io.liquid4j.tensor.Tensor;

/**
 * Running histogram of codes chosen during training or evaluation: perplexity exp(−Σ p log p)
 * (equals the codebook size when all codes are used equally, 1 when one code takes everything)
 * and dead codes (never chosen since the last reset).
 */
public final class CodebookUsage {
    private final long[] counts;
    private long total;

    public CodebookUsage(int codebookSize) { counts = new long[codebookSize]; }

    /** Adds the codes of one batch (any shape, integer dtype). */
    public void add(Tensor codes) {
        for (long c : codes.toLongArray()) {
            if (c < 0 || c >= counts.length) throw new IllegalArgumentException("code " + c + " outside the codebook [0, " + counts.length + ")");
            counts[(int) c]++;
            total++;
        }
    }

    public long total() { return total; }

    public long count(int code) { return counts[code]; }

    public double perplexity() {
        if (total == 0) return 0;
        double h = 0;
        for (long c : counts) {
            if (c == 0) continue;
            double p = (double) c / total;
            h -= p * Math.log(p);
        }
        return Math.exp(h);
    }

    /** Codes never chosen since the last reset. */
    public int deadCodes() {
        int d = 0;
        for (long c : counts) if (c == 0) d++;
        return d;
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
    }

    @Override public String toString() {
        return String.format("codebook usage: %d codes seen, perplexity %.1f of %d, %d dead", total, perplexity(), counts.length, deadCodes());
    }
}
