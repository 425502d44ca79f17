package io.liquid4j.tokenizer;

/** A tokenizer file that cannot be used: the message names the file and the field at fault. */
public final class TokenizerFormatException extends RuntimeException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
