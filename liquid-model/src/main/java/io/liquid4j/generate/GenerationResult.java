package io.liquid4j.generate;

import java.util.List;

/**
 * Output of one {@link TextGenerator#generate} call.
 *
 * @param tokens         per prompt, the generated ids (a stop id that ended the row is not included)
 * @param stopped        per prompt, whether it ended on a stop id (rather than the token limit)
 * @param promptTokens   tokens in the padded prompt batch (batch · longest prompt)
 * @param prefillNanos   time of the prompt forward pass (and first sampling)
 * @param decodeSteps    forward passes after the prefill
 * @param decodeNanos    their total time
 */
public record GenerationResult(List<int[]> tokens, boolean[] stopped, int promptTokens, long prefillNanos,
                               int decodeSteps, long decodeNanos) {

    /** Prompt tokens per second of the prefill. */
    public double prefillTokensPerSecond() { return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos; }

    /** Generated tokens per second over the decode steps (all rows counted). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : (double) decodeSteps * tokens.size() * 1e9 / decodeNanos;
    }
}
