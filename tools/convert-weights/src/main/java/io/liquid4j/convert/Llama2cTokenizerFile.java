package io.liquid4j.convert;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Structural check of a llama2.c tokenizer.bin (int32 max_token_length, then per token a float32
 * score, an int32 byte length and the bytes). The file does not store its token count, so the
 * converter counts the records to catch a tokenizer paired with the wrong model.
 */
final class Llama2cTokenizerFile {
    private Llama2cTokenizerFile() {}

    /** Number of token records in {@code file}; rejects a record cut short or a bad length. */
    static int countTokens(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            int maxLen = readInt(in, file, "max_token_length");
            if (maxLen <= 0) throw new ConversionException(file, "bad tokenizer.bin: max_token_length = " + maxLen + " must be positive");
            int count = 0;
            while (true) {
                int first = in.read();
                if (first < 0) return count;
                // the score's first byte is already consumed; skip its other three
                skip(in, 3, file, count);
                int len = readInt(in, file, "byte length of token " + count);
                if (len < 0 || len > maxLen) {
                    throw new ConversionException(file, "bad tokenizer.bin: token " + count + " has byte length " + len
                            + ", outside 0.." + maxLen + " (max_token_length)");
                }
                skip(in, len, file, count);
                count++;
            }
        } catch (IOException e) {
            throw new ConversionException(file, "cannot read the tokenizer: " + e.getMessage(), e);
        }
    }

    private static int readInt(InputStream in, Path file, String what) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) throw new ConversionException(file, "bad tokenizer.bin: the file ends inside the " + what);
        return (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
    }

    private static void skip(InputStream in, int n, Path file, int token) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (EOFException e) {
            throw new ConversionException(file, "bad tokenizer.bin: the file ends inside token " + token);
        }
    }
}
