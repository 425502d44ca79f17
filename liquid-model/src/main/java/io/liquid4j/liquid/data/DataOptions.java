package io.liquid4j.liquid.data;

/**
 * How JSONL records become training sequences.
 *
 * @param t2iRatio   probability that an image–caption pair becomes a text-to-image sample (else captioning); released default 0.5
 * @param uncondProb probability that a text-to-image sample drops its caption for {@code <unconditional>}; released default 0.1
 * @param seed       seeds every record's own draw (with its file index and line number)
 * @param maxLength  the context length: a longer sequence is an error, or is cut with {@code truncate}
 * @param truncate   cut sequences longer than maxLength instead of failing
 * @param imageCodes valid image codes are [0, imageCodes); 0 for a text LM, which takes text records only
 */
public record DataOptions(double t2iRatio, double uncondProb, long seed, int maxLength, boolean truncate, int imageCodes) {
    public static final double DEFAULT_T2I_RATIO = 0.5, DEFAULT_UNCOND_PROB = 0.1;

    public DataOptions {
        if (!(t2iRatio >= 0 && t2iRatio <= 1)) throw new IllegalArgumentException("t2iRatio must be in [0, 1], got " + t2iRatio);
        if (!(uncondProb >= 0 && uncondProb <= 1)) throw new IllegalArgumentException("uncondProb must be in [0, 1], got " + uncondProb);
        if (maxLength <= 0) throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        if (imageCodes < 0) throw new IllegalArgumentException("imageCodes must not be negative, got " + imageCodes);
    }

    /** The released collator's ratios, seed 0, no truncation. */
    public static DataOptions defaults(int maxLength, int imageCodes) {
        return new DataOptions(DEFAULT_T2I_RATIO, DEFAULT_UNCOND_PROB, 0, maxLength, false, imageCodes);
    }
}
