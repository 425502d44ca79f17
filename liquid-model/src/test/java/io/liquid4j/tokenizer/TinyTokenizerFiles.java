package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds small tokenizer.json files for tests, with readable defaults that each test overrides. */
final class TinyTokenizerFiles {
    private TinyTokenizerFiles() {}

    /** A vocabulary from tokens in id order. */
    static Map<String, Object> vocab(String... tokens) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) v.put(tokens[i], i);
        return v;
    }

    /** A BPE model section; {@code extra} entries (unk_token, byte_fallback, ...) are added on top. */
    static Map<String, Object> bpe(Map<String, Object> vocab, List<?> merges, Object... extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "BPE");
        m.put("vocab", vocab);
        m.put("merges", merges);
        for (int i = 0; i < extra.length; i += 2) m.put((String) extra[i], extra[i + 1]);
        return m;
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return m;
    }

    static Map<String, Object> addedToken(int id, String content, boolean special, Object... flags) {
        Map<String, Object> t = map("id", id, "content", content, "single_word", false, "lstrip", false,
                "rstrip", false, "normalized", false, "special", special);
        for (int i = 0; i < flags.length; i += 2) t.put((String) flags[i], flags[i + 1]);
        return t;
    }

    /** Writes {model, added_tokens, normalizer, pre_tokenizer, post_processor, decoder} and loads it. */
    static HfTokenizer load(Path dir, Map<String, Object> model, Object... sections) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", List.of());
        root.put("normalizer", null);
        root.put("pre_tokenizer", null);
        root.put("post_processor", null);
        root.put("decoder", null);
        root.put("model", model);
        for (int i = 0; i < sections.length; i += 2) root.put((String) sections[i], sections[i + 1]);
        try {
            Path file = dir.resolve("tokenizer.json");
            Files.writeString(file, Json.write(root));
            return HfTokenizer.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
