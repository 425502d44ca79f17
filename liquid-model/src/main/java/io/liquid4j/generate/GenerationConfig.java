package io.liquid4j.generate;

/**
 * What to generate.
 *
 * @param maxNewTokens at most this many tokens per prompt
 * @param sampling     token choice
 * @param stopIds      a row finishes when it produces one of these (the id is reported but not kept)
 * @param padId        id placed in the left padding of shorter prompts (never attended to)
 */
public record GenerationConfig(int maxNewTokens, SamplingParams sampling, int[] stopIds, int padId) {
    public GenerationConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be ≥ 0, got " + maxNewTokens);
        stopIds = stopIds.clone();
    }

    @Override public int[] stopIds() { return stopIds.clone(); }

    boolean isStop(int token) {
        for (int s : stopIds) if (s == token) return true;
        return false;
    }
}
