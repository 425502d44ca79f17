package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a Hugging Face tokenizer.json into an {@link HfTokenizer}; every error names the file and field. */
final class HfTokenizerLoader {
    /** Names tried for BOS and EOS when no tokenizer_config.json says which they are. */
    private static final String[] BOS_NAMES = {"<bos>", "<s>", "<|begin_of_text|>"};
    private static final String[] EOS_NAMES = {"<eos>", "</s>", "<|end_of_text|>", "<|endoftext|>"};

    private HfTokenizerLoader() {}

    static HfTokenizer load(Path file) throws IOException {
        String name = file.toString();
        Object parsed;
        try {
            parsed = Json.parseFile(file, Json.Options.DEFAULT.withAllowLoneSurrogates(true));
        } catch (JsonException e) {
            throw new TokenizerFormatException(e.getMessage(), e);
        }
        if (!(parsed instanceof Map)) throw new TokenizerFormatException(name + ": the top level must be a JSON object");
        @SuppressWarnings("unchecked")
        ConfigNode root = ConfigNode.root((Map<String, Object>) parsed, name);

        ConfigNode model = root.get("model");
        String type = model.stringOr("type", "BPE");
        if (!type.equals("BPE")) throw model.get("type").error("is \"" + type + "\" but liquid4j reads only BPE models");

        // Vocabulary, then added tokens on top (they may extend it or repeat entries).
        Map<String, Object> vocabJson = model.get("vocab").asMap();
        Map<String, Integer> vocab = HashMap.newHashMap(vocabJson.size());
        int maxId = -1;
        // ids are dense in practice; one far beyond the number of tokens would size every id table after it
        long idLimit = (long) vocabJson.size() + (root.isNull("added_tokens") ? 0 : root.list("added_tokens").size());
        for (Map.Entry<String, Object> e : vocabJson.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE - 8) {
                throw new TokenizerFormatException(name + ": model.vocab[\"" + e.getKey() + "\"] must be a non-negative integer id");
            }
            if (id >= idLimit) {
                throw new TokenizerFormatException(name + ": model.vocab[\"" + e.getKey() + "\"] has id " + id + ", beyond the " + idLimit
                        + " tokens the file defines (model.vocab and added_tokens)");
            }
            vocab.put(e.getKey(), (int) (long) id);
            maxId = Math.max(maxId, (int) (long) id);
        }
        List<AddedToken> added = new ArrayList<>();
        if (!root.isNull("added_tokens")) for (ConfigNode t : root.list("added_tokens")) added.add(AddedToken.fromJson(t));
        // added tokens extend the vocabulary: an id beyond vocab + added tokens, or a negative one, is a typo, not a table to allocate
        long limit = (long) maxId + 1 + added.size();
        for (AddedToken t : added) {
            if (t.id() < 0 || t.id() >= limit) {
                throw new TokenizerFormatException(name + ": added_tokens entry \"" + t.content() + "\" has id " + t.id()
                        + ", outside [0, " + limit + ") (model.vocab has " + vocab.size() + " tokens, added_tokens " + added.size() + ")");
            }
            maxId = Math.max(maxId, t.id());
        }

        String[] tokens = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) tokens[e.getValue()] = e.getKey();
        Map<String, Integer> tokenIds = new HashMap<>(vocab);
        boolean[] special = new boolean[maxId + 1];
        for (AddedToken t : added) {
            tokens[t.id()] = t.content();
            tokenIds.put(t.content(), t.id());
            special[t.id()] = t.special();
        }

        MergeTable merges = readMerges(model, vocab, name);
        String unk = model.stringOr("unk_token", null);
        int unkId = -1;
        if (unk != null) {
            Integer id = vocab.get(unk);
            if (id == null) throw model.get("unk_token").error("names \"" + unk + "\", which is not in model.vocab");
            unkId = id;
        }
        BpeModel bpe = new BpeModel(vocab, merges, unkId, model.bool("fuse_unk", false), model.bool("byte_fallback", false),
                model.bool("ignore_merges", false), model.stringOr("continuing_subword_prefix", null),
                model.stringOr("end_of_word_suffix", null));
        if (!model.isNull("dropout") && model.get("dropout").value() instanceof Number p && p.doubleValue() > 0) {
            throw model.get("dropout").unsupported("BPE dropout (random merges)");
        }

        Normalizer normalizer = root.isNull("normalizer") ? null : Normalizer.fromJson(root.get("normalizer"));
        PreTokenizer preTokenizer = root.isNull("pre_tokenizer") ? null : PreTokenizer.fromJson(root.get("pre_tokenizer"));
        PostProcessor postProcessor = root.isNull("post_processor") ? null : PostProcessor.fromJson(root.get("post_processor"), tokens);
        Decoder decoder = root.isNull("decoder") ? null : Decoder.fromJson(root.get("decoder"));

        List<AddedToken> raw = added.stream().filter(t -> !t.normalized()).toList();
        List<AddedToken> normalizedTokens = added.stream().filter(AddedToken::normalized).toList();
        AddedTokenMatcher rawMatcher = new AddedTokenMatcher(raw, s -> s);
        // HF looks for "normalized" added tokens in normalized text, with normalized content.
        AddedTokenMatcher normalizedMatcher = new AddedTokenMatcher(normalizedTokens,
                s -> normalizer == null ? s : normalizer.normalize(s));

        Map<String, Object> config = readConfigBeside(file);
        int bos = specialId(config, "bos_token", BOS_NAMES, tokenIds, postProcessor == null ? -1 : postProcessor.leadingSpecialId());
        int eos = specialId(config, "eos_token", EOS_NAMES, tokenIds, -1);
        return new HfTokenizer(name, tokenIds, tokens, special, rawMatcher, normalizedMatcher, normalizer, preTokenizer,
                bpe, postProcessor, decoder, bos, eos);
    }

    /** model.merges as "a b" strings (tokenizers before 0.20) or ["a", "b"] pairs (0.20 and later). */
    private static MergeTable readMerges(ConfigNode model, Map<String, Integer> vocab, String name) {
        List<Object> list = model.isNull("merges") ? List.of() : model.get("merges").asList();
        MergeTable table = new MergeTable(list.size());
        for (int rank = 0; rank < list.size(); rank++) {
            Object m = list.get(rank);
            String left;
            String right;
            if (m instanceof String s) {
                int space = s.indexOf(' ');
                if (space <= 0 || space == s.length() - 1 || s.indexOf(' ', space + 1) >= 0) {
                    throw new TokenizerFormatException(name + ": model.merges[" + rank + "] \"" + s
                            + "\" must be two tokens separated by one space");
                }
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                left = a;
                right = b;
            } else {
                throw new TokenizerFormatException(name + ": model.merges[" + rank + "] must be a string \"a b\" or a pair [\"a\", \"b\"]");
            }
            Integer l = vocab.get(left);
            Integer r = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                String missing = l == null ? left : r == null ? right : left + right;
                throw new TokenizerFormatException(name + ": model.merges[" + rank + "] (\"" + left + "\", \"" + right
                        + "\") uses \"" + missing + "\", which is not in model.vocab");
            }
            table.put(l, r, rank, merged);
        }
        return table;
    }

    /** tokenizer_config.json next to the file, or an empty map. */
    private static Map<String, Object> readConfigBeside(Path file) throws IOException {
        Path config = file.resolveSibling("tokenizer_config.json");
        if (!Files.isRegularFile(config)) return Map.of();
        try {
            return Json.parseFile(config, Json.Options.DEFAULT.withAllowDuplicateKeys(true)) instanceof Map<?, ?> m
                    ? castMap(m) : Map.of();
        } catch (JsonException e) {
            throw new TokenizerFormatException(e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /**
     * The id of BOS or EOS: the config's {@code bos_token}/{@code eos_token} (a string or an
     * {"content": ...} object; JSON null means "none"), else the template's leading special
     * token, else the first well-known name that exists.
     */
    private static int specialId(Map<String, Object> config, String key, String[] wellKnown, Map<String, Integer> ids, int fromTemplate) {
        Object v = config.get(key);
        if (v == Json.NULL) return -1;
        if (v instanceof Map<?, ?> m) v = m.get("content");
        if (v instanceof String s && ids.containsKey(s)) return ids.get(s);
        if (fromTemplate >= 0) return fromTemplate;
        for (String n : wellKnown) if (ids.containsKey(n)) return ids.get(n);
        return -1;
    }
}
