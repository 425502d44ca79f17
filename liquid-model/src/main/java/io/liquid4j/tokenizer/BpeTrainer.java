package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Learns a GPT-2/Llama-3-style byte-level BPE tokenizer from texts and writes it as a Hugging
 * Face {@code tokenizer.json} that {@link Tokenizer#load}, HF {@code tokenizers} and
 * transformers.js read.
 *
 * <p>The pipeline it writes: special tokens cut out first (ids 0..k-1, {@code added_tokens},
 * special), then the ByteLevel pre-tokenizer (GPT-2's word regex, no prefix space) turning every
 * UTF-8 byte into its {@link ByteLevelAlphabet} char, then BPE over a vocabulary holding all
 * 256 byte chars (ids k..k+255, in byte order), so any text encodes without an unknown token;
 * a TemplateProcessing post-processor puts BOS in front when {@code addBos}; the ByteLevel
 * decoder turns tokens back into bytes.
 *
 * <p>Training counts the pre-tokenized words of the texts given to {@link #add}, then merges
 * the most frequent adjacent pair of symbols, over and over, until the vocabulary has
 * {@code vocabSize} tokens or no pair occurs {@code minFrequency} times. Ties go to the pair
 * whose (left, right) token strings come first in UTF-16 order, so the result depends only on
 * the word counts: the same texts give a byte-identical file. Pair counts are kept up to date
 * incrementally: a merge revisits only the words that hold the pair (an index from pair to
 * words), and a heap with lazily dropped stale entries finds the next best pair.
 *
 * <pre>{@code
 * BpeTrainer trainer = BpeTrainer.builder().vocabSize(4096).build();
 * for (String doc : docs) trainer.add(doc);
 * trainer.write(dir);                 // dir/tokenizer.json, dir/tokenizer_config.json
 * Tokenizer tok = Tokenizer.load(dir);
 * }</pre>
 *
 * Not thread-safe.
 */
public final class BpeTrainer {
    /** The specials the CLI uses by default: pad, eos, bos, unk get ids 0, 1, 2, 3 (as in Gemma). */
    public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of("<pad>", "<eos>", "<bos>", "<unk>");
    /** Looked for among the specials when no BOS, EOS, PAD or UNK name is given (as the loader does). */
    private static final List<String> BOS_NAMES = List.of("<bos>", "<s>", "<|begin_of_text|>");
    private static final List<String> EOS_NAMES = List.of("<eos>", "</s>", "<|end_of_text|>", "<|endoftext|>");
    private static final List<String> PAD_NAMES = List.of("<pad>", "<|pad|>");
    private static final List<String> UNK_NAMES = List.of("<unk>", "<|unk|>");

    /** Told after each merge; {@code maxMerges} is how many merges fill the vocabulary (training may stop sooner). */
    @FunctionalInterface
    public interface Progress {
        void merged(int merges, int maxMerges);
    }

    /**
     * What the texts and the trained tokenizer amount to.
     *
     * @param documents   texts given to {@link #add}
     * @param bytes       their UTF-8 bytes
     * @param words       pre-tokenized words (pieces of GPT-2's regex) in them
     * @param uniqueWords distinct words
     * @param tokens      tokens of all texts as {@code encode(text, false)} gives them (special-token text included); 0 before training
     * @param vocabSize   tokens in the vocabulary; 0 before training
     * @param merges      merges learned; 0 before training
     * @param stoppedByMinFrequency training ended before vocabSize because no pair occurred minFrequency times (or no pair was left)
     */
    public record Stats(long documents, long bytes, long words, int uniqueWords, long tokens, int vocabSize, int merges,
                        boolean stoppedByMinFrequency) {
        /** UTF-8 bytes per token over the texts (higher is better compression), or 0 without text. */
        public double bytesPerToken() {
            return tokens == 0 ? 0 : (double) bytes / tokens;
        }
    }

    /** Options; only {@link #vocabSize} has no default. */
    public static final class Builder {
        private int vocabSize = -1;
        private int minFrequency = 2;
        private List<String> specialTokens = DEFAULT_SPECIAL_TOKENS;
        private String bosToken;
        private String eosToken;
        private boolean addBos = true;
        private Progress progress = (done, max) -> {};

        private Builder() {}

        /** Tokens in the final vocabulary: specials + 256 bytes + merged tokens. */
        public Builder vocabSize(int n) { vocabSize = n; return this; }

        /** A pair is merged only if it occurs at least this often (default 2). */
        public Builder minFrequency(int n) { minFrequency = n; return this; }

        /** Special tokens, ids 0..k-1 in this order (default {@link #DEFAULT_SPECIAL_TOKENS}; may be empty). */
        public Builder specialTokens(List<String> tokens) { specialTokens = List.copyOf(tokens); return this; }

        public Builder specialTokens(String... tokens) { return specialTokens(List.of(tokens)); }

        /** The BOS special (default: "&lt;bos&gt;", "&lt;s&gt;" or "&lt;|begin_of_text|&gt;" when among the specials, else none). */
        public Builder bosToken(String token) { bosToken = token; return this; }

        /** The EOS special (default: "&lt;eos&gt;", "&lt;/s&gt;", "&lt;|end_of_text|&gt;" or "&lt;|endoftext|&gt;" when among the specials, else none). */
        public Builder eosToken(String token) { eosToken = token; return this; }

        /** Whether {@code encode(text, true)} puts BOS in front (default true; needs a BOS token). */
        public Builder addBos(boolean add) { addBos = add; return this; }

        public Builder progress(Progress p) { progress = p == null ? (done, max) -> {} : p; return this; }

        /** @throws IllegalArgumentException for a vocabulary too small for the bytes and specials, bad specials, or a BOS/EOS that is not a special */
        public BpeTrainer build() {
            if (minFrequency < 1) throw new IllegalArgumentException("min frequency must be at least 1 but is " + minFrequency);
            Set<String> seen = new HashSet<>();
            for (String s : specialTokens) {
                if (s == null || s.isEmpty()) throw new IllegalArgumentException("special tokens must not be empty");
                if (!seen.add(s)) throw new IllegalArgumentException("special token \"" + s + "\" is given twice");
                if (s.length() == 1 && ByteLevelAlphabet.byteOf(s.charAt(0)) >= 0) {
                    throw new IllegalArgumentException("special token \"" + s + "\" is one of the 256 byte tokens; give a longer name");
                }
            }
            int least = ByteLevelAlphabet.SIZE + specialTokens.size();
            if (vocabSize < 0) throw new IllegalArgumentException("vocab size is not set");
            if (vocabSize < least) {
                throw new IllegalArgumentException("vocab size " + vocabSize + " is smaller than the 256 byte tokens plus "
                        + specialTokens.size() + " special tokens: it must be at least " + least);
            }
            String bos = pick(bosToken, BOS_NAMES, "BOS");
            String eos = pick(eosToken, EOS_NAMES, "EOS");
            if (addBos && bos == null) {
                throw new IllegalArgumentException(bosToken == null && !specialTokens.isEmpty()
                        ? "no BOS among the special tokens " + specialTokens + ": name one with bosToken or turn addBos off"
                        : "addBos needs a BOS special token, but there is none");
            }
            return new BpeTrainer(this, bos, eos);
        }

        private String pick(String given, List<String> wellKnown, String what) {
            if (given != null) {
                if (!specialTokens.contains(given)) {
                    throw new IllegalArgumentException(what + " token \"" + given + "\" is not one of the special tokens " + specialTokens);
                }
                return given;
            }
            return wellKnown.stream().filter(specialTokens::contains).findFirst().orElse(null);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specials;
    private final String bosToken;
    private final String eosToken;
    private final boolean addBos;
    private final Progress progress;
    private final AddedTokenMatcher specialMatcher;
    private final PreTokenizer.ByteLevel preTokenizer =
            new PreTokenizer.ByteLevel(false, OnigurumaPattern.compile(PreTokenizer.ByteLevel.GPT2_REGEX, "GPT-2 regex"));

    /** Pre-tokenized word (in byte-level chars) → how often it occurs; long[1] to count without boxing. */
    private final Map<String, long[]> wordCounts = new HashMap<>();
    private long documents;
    private long bytes;
    private long words;
    private long specialOccurrences;

    // The training result.
    private boolean trained;
    private final List<String> tokens = new ArrayList<>();
    private final Map<String, Integer> tokenIds = new HashMap<>();
    private final List<int[]> merges = new ArrayList<>();
    private long tokenCount;
    private boolean stoppedByMinFrequency;

    private BpeTrainer(Builder b, String bos, String eos) {
        vocabSize = b.vocabSize;
        minFrequency = b.minFrequency;
        specials = b.specialTokens;
        bosToken = bos;
        eosToken = eos;
        addBos = b.addBos;
        progress = b.progress;
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) added.add(new AddedToken(i, specials.get(i), false, false, false, false, true));
        specialMatcher = new AddedTokenMatcher(added, s -> s);
    }

    /** Counts the words of one document (special-token text in it counts as that special, as encode does). */
    public BpeTrainer add(String text) {
        if (trained) throw new IllegalStateException("add after train: the tokenizer is already trained");
        documents++;
        bytes += Utf8.encode(text).length;
        List<AddedTokenMatcher.Section> sections = new ArrayList<>();
        specialMatcher.split(text, 0, sections);
        List<String> pieces = new ArrayList<>();
        for (AddedTokenMatcher.Section s : sections) {
            if (s.token() != null) {
                specialOccurrences++;
                continue;
            }
            pieces.clear();
            preTokenizer.split(s.text(), s.offset() == 0, pieces);
            for (String w : pieces) {
                wordCounts.computeIfAbsent(w, k -> new long[1])[0]++;
                words++;
            }
        }
        return this;
    }

    public BpeTrainer addAll(Iterable<String> texts) {
        for (String t : texts) add(t);
        return this;
    }

    /** Learns the merges from the texts added so far; a second call does nothing. */
    public BpeTrainer train() {
        if (trained) return this;
        trained = true;
        for (String s : specials) addToken(s);
        for (int b = 0; b < ByteLevelAlphabet.SIZE; b++) addToken(String.valueOf(ByteLevelAlphabet.charOf(b)));
        new Merger().run();
        return this;
    }

    /** Counts of the texts added so far and, once trained, of the tokenizer (tokens, vocabulary and merges are 0 before). */
    public Stats stats() {
        return new Stats(documents, bytes, words, wordCounts.size(), tokenCount, tokens.size(), merges.size(), stoppedByMinFrequency);
    }

    /** The vocabulary in id order (specials, 256 byte chars, merged tokens); trains first if needed. */
    public List<String> vocabulary() {
        train();
        return List.copyOf(tokens);
    }

    /** The merges in rank order as (left, right) token strings; trains first if needed. */
    public List<List<String>> merges() {
        train();
        return merges.stream().map(m -> List.of(tokens.get(m[0]), tokens.get(m[1]))).toList();
    }

    /** The tokenizer.json text (trains first if needed). One vocabulary entry and one merge per line, so files diff well. */
    public String toJson() {
        train();
        StringBuilder sb = new StringBuilder(tokens.size() * 40);
        sb.append("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
        for (int i = 0; i < specials.size(); i++) {
            sb.append(i == 0 ? "\n    " : ",\n    ").append(Json.write(object("id", i, "content", specials.get(i), "single_word", false,
                    "lstrip", false, "rstrip", false, "normalized", false, "special", true)));
        }
        sb.append(specials.isEmpty() ? "],\n" : "\n  ],\n");
        sb.append("  \"normalizer\": null,\n");
        sb.append("  \"pre_tokenizer\": ").append(Json.write(byteLevel())).append(",\n");
        sb.append("  \"post_processor\": ").append(addBos ? Json.write(bosTemplate()) : "null").append(",\n");
        sb.append("  \"decoder\": ").append(Json.write(byteLevel())).append(",\n");
        sb.append("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
                + "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
                + "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {");
        for (int id = 0; id < tokens.size(); id++) {
            sb.append(id == 0 ? "\n      " : ",\n      ").append(Json.write(tokens.get(id))).append(": ").append(id);
        }
        sb.append("\n    },\n    \"merges\": [");
        for (int i = 0; i < merges.size(); i++) {
            int[] m = merges.get(i);
            sb.append(i == 0 ? "\n      " : ",\n      ").append(Json.write(List.of(tokens.get(m[0]), tokens.get(m[1]))));
        }
        sb.append(merges.isEmpty() ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n");
        return sb.toString();
    }

    /**
     * The tokenizer_config.json text: which specials are BOS, EOS, PAD and UNK (how the loader,
     * transformers and transformers.js find them), and that BOS is added.
     */
    public String configJson() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("bos_token", bosToken == null ? Json.NULL : bosToken);
        c.put("eos_token", eosToken == null ? Json.NULL : eosToken);
        String pad = PAD_NAMES.stream().filter(specials::contains).findFirst().orElse(null);
        String unk = UNK_NAMES.stream().filter(specials::contains).findFirst().orElse(null);
        if (pad != null) c.put("pad_token", pad);
        if (unk != null) c.put("unk_token", unk);
        c.put("add_bos_token", addBos);
        c.put("add_eos_token", false);
        c.put("clean_up_tokenization_spaces", false);
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Object> e : c.entrySet()) {
            sb.append(first ? "\n  " : ",\n  ").append(Json.write(e.getKey())).append(": ").append(Json.write(e.getValue()));
            first = false;
        }
        return sb.append("\n}\n").toString();
    }

    /**
     * Trains if needed and writes {@code dir/tokenizer.json} and {@code dir/tokenizer_config.json}
     * (each written as NAME.partial, then renamed into place), creating dir if needed.
     *
     * @return the tokenizer.json path
     */
    public Path write(Path dir) throws IOException {
        String json = toJson();
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        writeAtomically(dir.resolve("tokenizer_config.json"), configJson());
        writeAtomically(file, json);
        return file;
    }

    /** Writes TARGET.partial, then renames it over target, so readers see the old file or the whole new one. */
    private static void writeAtomically(Path target, String text) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** GPT-2's ByteLevel (pre-tokenizer and decoder): the word regex, no prefix space. */
    private static Map<String, Object> byteLevel() {
        return object("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true);
    }

    /** BOS in front of a sequence (and of each of a pair), as Llama 3's template. */
    private Map<String, Object> bosTemplate() {
        Map<String, Object> bos0 = object("SpecialToken", object("id", bosToken, "type_id", 0));
        Map<String, Object> bos1 = object("SpecialToken", object("id", bosToken, "type_id", 1));
        return object("type", "TemplateProcessing",
                "single", List.of(bos0, object("Sequence", object("id", "A", "type_id", 0))),
                "pair", List.of(bos0, object("Sequence", object("id", "A", "type_id", 0)), bos1,
                        object("Sequence", object("id", "B", "type_id", 1))),
                "special_tokens", object(bosToken, object("id", bosToken, "ids", List.of(specials.indexOf(bosToken)),
                        "tokens", List.of(bosToken))));
    }

    private static Map<String, Object> object(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return m;
    }

    private int addToken(String s) {
        Integer id = tokenIds.get(s);
        if (id != null) return id;
        tokens.add(s);
        tokenIds.put(s, tokens.size() - 1);
        return tokens.size() - 1;
    }

    /** The state of the merge loop: words as symbol ids, pair counts, the pair → words index and the heap. */
    private final class Merger {
        private final int[][] symbols;
        private final long[] counts;
        private final Map<Long, Pair> pairs = new HashMap<>();
        /** Candidates: count (descending), then the pair's strings; stale when the count has changed since. */
        private final PriorityQueue<long[]> heap = new PriorityQueue<>(this::compare);
        /** The merge step that last visited a word, so a word listed twice under a pair is merged once. */
        private final int[] visited;
        /** Pairs never to merge: their text is already a token. */
        private final Set<Long> banned = new HashSet<>();

        Merger() {
            List<String> sorted = new ArrayList<>(wordCounts.keySet());
            sorted.sort(null); // word order does not change the result; sorting just makes runs repeatable to debug
            symbols = new int[sorted.size()][];
            counts = new long[sorted.size()];
            visited = new int[sorted.size()];
            Arrays.fill(visited, -1);
            for (int w = 0; w < symbols.length; w++) {
                String word = sorted.get(w);
                int[] ids = new int[word.length()];
                for (int i = 0; i < ids.length; i++) ids[i] = tokenIds.get(String.valueOf(word.charAt(i)));
                symbols[w] = ids;
                counts[w] = wordCounts.get(word)[0];
                for (int i = 0; i + 1 < ids.length; i++) pair(ids[i], ids[i + 1]).add(counts[w], w);
            }
            for (Map.Entry<Long, Pair> e : pairs.entrySet()) heap.add(new long[] {e.getValue().count, e.getKey()});
        }

        void run() {
            int maxMerges = vocabSize - tokens.size();
            Map<Long, Long> before = new HashMap<>();
            while (tokens.size() < vocabSize) {
                long[] best = heap.poll();
                if (best == null) { // no pair at all is left
                    stoppedByMinFrequency = true;
                    break;
                }
                Pair p = pairs.get(best[1]);
                if (p == null || p.count != best[0]) continue; // stale
                if (p.count < minFrequency) {
                    stoppedByMinFrequency = true;
                    break;
                }
                int left = (int) (best[1] >>> 32);
                int right = (int) best[1];
                String mergedText = tokens.get(left) + tokens.get(right);
                if (tokenIds.containsKey(mergedText)) {
                    // Another split of an existing token ("a"+"bc" after "ab"+"c"), or a special's text:
                    // no second way to the same token, so every merge adds one and ids stay unambiguous.
                    pairs.remove(best[1]);
                    banned.add(best[1]);
                    continue;
                }
                int merged = addToken(mergedText);
                int step = merges.size();
                merges.add(new int[] {left, right});
                pairs.remove(best[1]);
                before.clear();
                for (int k = 0; k < p.size; k++) {
                    int w = p.words[k];
                    if (visited[w] == step) continue;
                    visited[w] = step;
                    mergeIn(w, left, right, merged, best[1], before);
                }
                for (Map.Entry<Long, Long> e : before.entrySet()) {
                    Pair q = pairs.get(e.getKey());
                    if (q != null && q.count != e.getValue() && q.count > 0) heap.add(new long[] {q.count, e.getKey()});
                }
                progress.merged(merges.size(), maxMerges);
            }
            for (int w = 0; w < symbols.length; w++) tokenCount += counts[w] * symbols[w].length;
            tokenCount += specialOccurrences;
        }

        /**
         * Replaces every (left, right) in word w by merged, left to right, and moves the word's
         * count from the pairs it no longer holds to the pairs it now holds (the merged pair's
         * entry is already gone). Only pairs whose count in the word changed are touched.
         */
        private void mergeIn(int w, int left, int right, int merged, long mergedPair, Map<Long, Long> before) {
            int[] s = symbols[w];
            int[] out = new int[s.length];
            int n = 0;
            for (int i = 0; i < s.length; i++) {
                if (i + 1 < s.length && s[i] == left && s[i + 1] == right) {
                    out[n++] = merged;
                    i++;
                } else {
                    out[n++] = s[i];
                }
            }
            if (n == s.length) return; // listed under the pair but no longer holding it
            symbols[w] = Arrays.copyOf(out, n);
            // Net change per pair in this word: -1 per old occurrence, +1 per new one.
            long[] keys = new long[s.length - 1 + n - 1];
            int[] delta = new int[keys.length];
            int k = 0;
            for (int i = 0; i + 1 < s.length; i++) {
                keys[k] = key(s[i], s[i + 1]);
                delta[k++] = -1;
            }
            for (int i = 0; i + 1 < n; i++) {
                keys[k] = key(out[i], out[i + 1]);
                delta[k++] = 1;
            }
            Map<Long, int[]> net = new HashMap<>(keys.length * 2);
            for (int i = 0; i < k; i++) net.computeIfAbsent(keys[i], x -> new int[1])[0] += delta[i];
            for (Map.Entry<Long, int[]> e : net.entrySet()) {
                int d = e.getValue()[0];
                if (d != 0 && e.getKey() != mergedPair && !banned.contains(e.getKey())) move(e.getKey(), d * counts[w], w, before);
            }
        }

        private void move(long key, long delta, int w, Map<Long, Long> before) {
            Pair q = pairs.get(key);
            if (q == null) {
                q = new Pair();
                pairs.put(key, q);
            }
            before.putIfAbsent(key, q.count);
            if (delta > 0) q.add(delta, w);
            else q.count += delta;
            if (q.count <= 0) pairs.remove(key);
        }

        private Pair pair(int a, int b) {
            return pairs.computeIfAbsent(key(a, b), k -> new Pair());
        }

        private int compare(long[] x, long[] y) {
            if (x[0] != y[0]) return Long.compare(y[0], x[0]);
            int c = tokens.get((int) (x[1] >>> 32)).compareTo(tokens.get((int) (y[1] >>> 32)));
            return c != 0 ? c : tokens.get((int) x[1]).compareTo(tokens.get((int) y[1]));
        }
    }

    private static long key(int a, int b) {
        return (long) a << 32 | (b & 0xFFFFFFFFL);
    }

    /** A pair's count and the words holding it (possibly listed twice, or no longer holding it). */
    private static final class Pair {
        long count;
        int[] words = new int[2];
        int size;

        void add(long c, int w) {
            count += c;
            if (size > 0 && words[size - 1] == w) return;
            if (size == words.length) words = Arrays.copyOf(words, size * 2);
            words[size++] = w;
        }
    }
}
