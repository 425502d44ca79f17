package io.liquid4j.generate;

import io.liquid4j.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A {@link TokenListener} that turns the tokens of one row into text as they arrive: each new
 * token hands the consumer what it added to the decoding of the whole row so far (special tokens
 * skipped). A token that ends inside a multi-byte character (decoded as U+FFFD) waits for the
 * next one, so the pieces concatenate to exactly the final text.
 */
public final class TextStream implements TokenListener {
    private final Tokenizer tokenizer;
    private final Consumer<String> out;
    private int[] ids = new int[16];
    private int count;
    private int printed;

    /** Streams the text of row 0 (the only row of a single-prompt generation) to {@code out}. */
    public TextStream(Tokenizer tokenizer, Consumer<String> out) {
        this.tokenizer = tokenizer;
        this.out = out;
    }

    @Override public void onToken(int row, int token) {
        if (row != 0) return;
        if (count == ids.length) ids = Arrays.copyOf(ids, 2 * count);
        ids[count++] = token;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), true);
        int end = text.endsWith("\uFFFD") ? text.length() - 1 : text.length();
        if (end > printed) {
            out.accept(text.substring(printed, end));
            printed = end;
        }
    }
}
