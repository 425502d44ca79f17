package io.liquid4j.generate;

import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tokenizer.Tokenizer;
import java.util.Arrays;

/** The ids that end a generated row by default. */
public final class StopIds {
    private StopIds() {}

    /**
     * The model's EOS ids (config.json's {@code eos_token_id}, one or several) plus the
     * tokenizer's EOS when it is not among them; the tokenizer may be null.
     */
    public static int[] defaults(ModelConfig config, Tokenizer tokenizer) {
        int[] eos = config.eosTokenIds();
        if (tokenizer == null || tokenizer.eosId() < 0 || Arrays.stream(eos).anyMatch(e -> e == tokenizer.eosId())) return eos;
        int[] r = Arrays.copyOf(eos, eos.length + 1);
        r[eos.length] = tokenizer.eosId();
        return r;
    }
}
