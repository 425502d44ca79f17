package io.liquid4j.convert;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts Liquid's &lt;boi&gt;/&lt;eoi&gt;/&lt;unconditional&gt; into a Hugging Face tokenizer.json and
 * tokenizer_config.json. A token either renames an existing one at the same id (Gemma's
 * &lt;unused0..2&gt;: renamed in "added_tokens" and "model.vocab") or is new (an added token beyond
 * the vocabulary). Either way it is marked special, so text like "&lt;boi&gt;" encodes to its id.
 */
final class LiquidTokenizerFiles {
    /** One token to put in place: {@code replaces} is the old text at {@code id}, or null for a new token. */
    record SpecialToken(int id, String content, String replaces) {}

    private LiquidTokenizerFiles() {}

    /** tokenizer.json with the tokens put in place. */
    static byte[] tokenizerJson(Path file, List<SpecialToken> tokens) {
        Map<String, Object> root = parseObject(file, Json.Options.DEFAULT.withAllowLoneSurrogates(true));
        List<Object> added = root.get("added_tokens") instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
        for (SpecialToken t : tokens) {
            int at = indexOfId(added, t.id());
            Map<String, Object> entry = at >= 0 ? copy(added.get(at)) : newAddedToken(t.id());
            entry.put("content", t.content());
            entry.put("special", true);
            if (at >= 0) added.set(at, entry);
            else added.add(entry);
        }
        added.sort(Comparator.comparingLong(o -> o instanceof Map<?, ?> m && m.get("id") instanceof Long id ? id : Long.MAX_VALUE));
        root.put("added_tokens", added);
        if (root.get("model") instanceof Map<?, ?> model && model.get("vocab") instanceof Map<?, ?> vocab) {
            Map<String, Object> m = copy(model);
            m.put("vocab", renamed(vocab, tokens));
            root.put("model", m);
        }
        return bytes(root);
    }

    /** tokenizer_config.json with the tokens in "added_tokens_decoder" (created when absent). */
    static byte[] tokenizerConfigJson(Path file, List<SpecialToken> tokens) {
        Map<String, Object> root = parseObject(file, Json.Options.DEFAULT.withAllowDuplicateKeys(true));
        Map<String, Object> decoder = root.get("added_tokens_decoder") instanceof Map<?, ?> d ? copy(d) : new LinkedHashMap<>();
        for (SpecialToken t : tokens) {
            String key = Integer.toString(t.id());
            Map<String, Object> entry = decoder.get(key) instanceof Map<?, ?> e ? copy(e) : newDecoderEntry();
            entry.put("content", t.content());
            entry.put("special", true);
            decoder.put(key, entry);
        }
        root.put("added_tokens_decoder", decoder);
        return bytes(root);
    }

    /** model.vocab with renamed keys at their old positions (ids unchanged); new tokens are not added. */
    private static Map<String, Object> renamed(Map<?, ?> vocab, List<SpecialToken> tokens) {
        Map<String, String> newName = new LinkedHashMap<>();
        for (SpecialToken t : tokens) if (t.replaces() != null) newName.put(t.replaces(), t.content());
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : vocab.entrySet()) out.put(newName.getOrDefault((String) e.getKey(), (String) e.getKey()), e.getValue());
        return out;
    }

    private static int indexOfId(List<Object> added, int id) {
        for (int i = 0; i < added.size(); i++) {
            if (added.get(i) instanceof Map<?, ?> m && m.get("id") instanceof Long l && l == id) return i;
        }
        return -1;
    }

    /** What `tokenizer.add_special_tokens` writes for a new token. */
    private static Map<String, Object> newAddedToken(int id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("content", null);
        m.put("single_word", false);
        m.put("lstrip", false);
        m.put("rstrip", false);
        m.put("normalized", false);
        m.put("special", true);
        return m;
    }

    private static Map<String, Object> newDecoderEntry() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("content", null);
        m.put("lstrip", false);
        m.put("normalized", false);
        m.put("rstrip", false);
        m.put("single_word", false);
        m.put("special", true);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Object map) {
        return new LinkedHashMap<>((Map<String, Object>) map);
    }

    private static Map<String, Object> parseObject(Path file, Json.Options options) {
        Object parsed;
        try {
            parsed = Json.parseFile(file, options);
        } catch (JsonException e) {
            throw new ConversionException(e.getMessage());
        } catch (IOException e) {
            throw new ConversionException(file, "cannot read: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new ConversionException(file, "the top level must be a JSON object");
        return copy(m);
    }

    private static byte[] bytes(Map<String, Object> root) {
        return Json.write(root).getBytes(StandardCharsets.UTF_8);
    }
}
