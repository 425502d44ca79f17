package io.liquid4j.convert.torch;

import java.nio.file.Path;

/** A PyTorch checkpoint that cannot be read; the message starts with the file at fault. */
public final class TorchFormatException extends RuntimeException {
    public TorchFormatException(Path file, String fault) {
        super(file + ": " + fault);
    }
}
