package io.liquid4j.generate;

/** Receives each generated token as soon as it is sampled (streaming to a terminal, a UI, ...). */
@FunctionalInterface
public interface TokenListener {
    /** row: index of the prompt in the batch; token: the new id (stop ids are reported too). */
    void onToken(int row, int token);

    TokenListener NONE = (row, token) -> { };
}
