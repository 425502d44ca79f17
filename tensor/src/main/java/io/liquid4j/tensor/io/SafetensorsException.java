package io.liquid4j.tensor.io;

import java.nio.file.Path;

/**
 * The one exception type of the safetensors layer: a malformed or inconsistent file, an I/O
 * failure while reading or writing one, or a request the file cannot satisfy.
 *
 * <p>The message always starts with the file at fault and then names the fault in one
 * sentence, e.g. {@code model.safetensors: tensor 'a.weight' data_offsets [0, 12] give 12
 * bytes but dtype F32 shape [2, 2] needs 16}, so the command line can print it unchanged.
 * It is unchecked because a broken checkpoint is rarely recoverable where it is detected and
 * callers several layers up (the CLI) are the ones that report it.
 */
public class SafetensorsException extends RuntimeException {
    private final transient Path file;

    public SafetensorsException(Path file, String fault) {
        super(file + ": " + fault);
        this.file = file;
    }

    public SafetensorsException(Path file, String fault, Throwable cause) {
        super(file + ": " + fault, cause);
        this.file = file;
    }

    /** The file at fault (a shard, an index file or a checkpoint directory). */
    public Path file() {
        return file;
    }
}
