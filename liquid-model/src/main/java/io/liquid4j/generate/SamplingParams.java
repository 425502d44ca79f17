package io.liquid4j.generate;

/**
 * How the next token is chosen from logits.
 *
 * @param temperature 0 = greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK        keep only the k most likely tokens (0 = all)
 * @param topP        keep the smallest set of most likely tokens whose probability reaches p (1 = all)
 * @param seed        seed of the sampling random stream (same seed, same tokens)
 */
public record SamplingParams(double temperature, int topK, double topP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 0);

    public SamplingParams {
        if (temperature < 0 || Double.isNaN(temperature)) throw new IllegalArgumentException("temperature must be ≥ 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be ≥ 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }

    public boolean greedy() { return temperature == 0; }
}
