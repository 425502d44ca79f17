package io.liquid4j.convert;

import java.nio.file.Path;

/**
 * A conversion that cannot proceed because of its input (a malformed file, a bad option). The
 * message is one sentence that starts with the file at fault, so the CLI prints it unchanged.
 */
public final class ConversionException extends RuntimeException {
    public ConversionException(Path file, String fault) {
        super(file + ": " + fault);
    }

    public ConversionException(Path file, String fault, Throwable cause) {
        super(file + ": " + fault, cause);
    }

    public ConversionException(String message) {
        super(message);
    }
}
