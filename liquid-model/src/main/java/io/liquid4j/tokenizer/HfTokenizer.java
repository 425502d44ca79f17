package io.liquid4j.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} BPE tokenizer (Gemma, Llama 3, Qwen2, ...).
 *
 * <p>Encoding follows the HF pipeline: added tokens are cut out first (leftmost-longest; those
 * marked {@code normalized} are looked for again after normalization), every other section is
 * normalized, pre-tokenized into words and BPE-encoded, then the post-processor adds the
 * special tokens of its template. Decoding maps ids to token strings and runs the decoder.
 * Build one with {@link #load(Path)}; {@link HfTokenizerLoader} reads the file.
 */
public final class HfTokenizer implements Tokenizer {
    private final String source;
    private final Map<String, Integer> tokenIds;
    private final String[] tokens;
    private final boolean[] special;
    private final AddedTokenMatcher rawAddedTokens;
    private final AddedTokenMatcher normalizedAddedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final int bosId;
    private final int eosId;

    HfTokenizer(String source, Map<String, Integer> tokenIds, String[] tokens, boolean[] special,
                AddedTokenMatcher rawAddedTokens, AddedTokenMatcher normalizedAddedTokens, Normalizer normalizer,
                PreTokenizer preTokenizer, BpeModel model, PostProcessor postProcessor, Decoder decoder,
                int bosId, int eosId) {
        this.source = source;
        this.tokenIds = tokenIds;
        this.tokens = tokens;
        this.special = special;
        this.rawAddedTokens = rawAddedTokens;
        this.normalizedAddedTokens = normalizedAddedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.bosId = bosId;
        this.eosId = eosId;
    }

    /** Reads a tokenizer.json (and, for the BOS/EOS names, a tokenizer_config.json beside it if there is one). */
    public static HfTokenizer load(Path file) throws IOException {
        return HfTokenizerLoader.load(file);
    }

    @Override public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 4);
        List<AddedTokenMatcher.Section> sections = new ArrayList<>();
        rawAddedTokens.split(text, 0, sections);
        List<AddedTokenMatcher.Section> parts = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (AddedTokenMatcher.Section section : sections) {
            if (section.token() != null) {
                ids.add(section.token().id());
                continue;
            }
            String normalized = normalizer == null ? section.text() : normalizer.normalize(section.text());
            parts.clear();
            normalizedAddedTokens.split(normalized, section.offset(), parts);
            for (AddedTokenMatcher.Section part : parts) {
                if (part.token() != null) {
                    ids.add(part.token().id());
                    continue;
                }
                words.clear();
                if (preTokenizer == null) words.add(part.text());
                else preTokenizer.split(part.text(), part.offset() == 0, words);
                for (String word : words) model.encode(word, ids);
            }
        }
        return postProcessor == null ? ids.toArray() : postProcessor.process(ids.toArray(), addSpecialTokens);
    }

    @Override public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> pieces = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = idToToken(id);
            if (token == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source
                        + " (ids run from 0 to " + (tokens.length - 1) + ")");
            }
            if (skipSpecialTokens && special[id]) continue;
            pieces.add(token);
        }
        if (decoder == null) return String.join(" ", pieces); // HF's behaviour without a decoder
        return String.join("", decoder.decodeChain(pieces));
    }

    @Override public int vocabSize() {
        return tokens.length;
    }

    @Override public int tokenToId(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? -1 : id;
    }

    @Override public String idToToken(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    @Override public int bosId() {
        return bosId;
    }

    @Override public int eosId() {
        return eosId;
    }

    /** Whether an id is a special added token (skipped by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override public String toString() {
        return "HfTokenizer[" + source + ", " + tokens.length + " tokens]";
    }
}
