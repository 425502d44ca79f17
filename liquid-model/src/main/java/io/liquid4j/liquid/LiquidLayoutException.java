package io.liquid4j.liquid;

/** A model directory whose Liquid layout is missing or malformed; the message names the file and key. */
public final class LiquidLayoutException extends RuntimeException {
    public LiquidLayoutException(String message) {
        super(message);
    }

    public LiquidLayoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
