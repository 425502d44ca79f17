package io.liquid4j.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Text ↔ token ids. Implementations are immutable and safe to share between threads.
 *
 * <p>Two formats are read: Hugging Face {@code tokenizer.json} (BPE models: Gemma, Llama 3,
 * Qwen2 and the like; {@link HfTokenizer}) and the llama2.c {@code tokenizer.bin}
 * ({@link Llama2cTokenizer}).
 */
public interface Tokenizer {

    /**
     * Token ids of {@code text}. With {@code addSpecialTokens} the tokenizer's own framing is
     * added (the BOS that Gemma's template or llama2.c puts in front); special-token text inside
     * {@code text} (e.g. "&lt;start_of_turn&gt;") is always recognised.
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** The text of {@code ids}, special tokens included as their text. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of {@code ids}; with {@code skipSpecialTokens} special tokens (BOS, EOS, ...) are left out. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** One more than the largest token id. */
    int vocabSize();

    /** The id of a token's exact text (a vocabulary entry, not arbitrary text), or -1. */
    int tokenToId(String token);

    /** The vocabulary entry of an id, or null when the id is unused or out of range. */
    String idToToken(int id);

    /** The beginning-of-sequence id, or -1 when the tokenizer has none. */
    int bosId();

    /** The end-of-sequence id, or -1 when the tokenizer has none. */
    int eosId();

    /**
     * Loads a tokenizer: a {@code tokenizer.json} (Hugging Face), a llama2.c {@code tokenizer.bin},
     * or a directory holding one of them (tokenizer.json is preferred).
     */
    static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
                Path candidate = path.resolve(name);
                if (Files.isRegularFile(candidate)) return load(candidate);
            }
            throw new TokenizerFormatException(path + ": directory holds neither tokenizer.json nor tokenizer.bin");
        }
        if (!Files.isRegularFile(path)) throw new TokenizerFormatException(path + ": no such tokenizer file");
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) return HfTokenizer.load(path);
        if (name.endsWith(".bin")) return Llama2cTokenizer.load(path);
        return looksLikeJson(path) ? HfTokenizer.load(path) : Llama2cTokenizer.load(path);
    }

    /**
     * For files named neither *.json nor *.bin: a tokenizer.json starts with '{' (after optional
     * whitespace or a BOM); a llama2.c file starts with an int32 max_token_length.
     */
    private static boolean looksLikeJson(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            int b;
            while ((b = in.read()) != -1) {
                if (b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == 0xEF || b == 0xBB || b == 0xBF) continue;
                return b == '{';
            }
            return false;
        }
    }
}
