package io.liquid4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.fuzz.JsonMutator;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of tokenizer.json loading ({@link Tokenizer#load}): 1000 damaged copies of
 * three small but complete tokenizers (GPT-2 byte level, SentencePiece style with byte fallback,
 * Llama 3 style split regex). Each must either load, and then encode and decode without error
 * (every id inside the vocabulary), or fail with a {@link TokenizerFormatException} naming the
 * file, and nothing else: no NPE, ClassCast, index, number-format, out-of-memory or
 * stack-overflow error, and no hang.
 *
 * <p>Mutant i draws from {@code Random(SEED * 1_000_003 + i)}: a failure's index reproduces it.
 */
class TokenizerFuzzTest {
    private static final long SEED = 0x70C3_11E2L;
    private static final int MUTANTS = 1000;
    private static final String[] TEXTS = {"hello world", "Hello  <s>world</s>\n\t", "\u00e9t\u00e9 \uD83D\uDE00 \u4e2d", "", " ", "lo wor"};

    @TempDir Path dir;

    // ------------------------------------------------------------------------------ bases

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Map<String, Object> added(long id, String content, boolean special) {
        return map("id", id, "content", content, "single_word", false, "lstrip", false, "rstrip", false,
                "normalized", !special, "special", special);
    }

    private static Map<String, Object> root(Map<String, Object> model, Object added, Object normalizer, Object pre, Object post, Object decoder) {
        return map("version", "1.0", "truncation", Json.NULL, "padding", Json.NULL, "added_tokens", added, "normalizer", normalizer,
                "pre_tokenizer", pre, "post_processor", post, "decoder", decoder, "model", model);
    }

    private static Map<String, Object> bpe(Map<String, Object> vocab, List<Object> merges, Object... extra) {
        Map<String, Object> m = map("type", "BPE", "dropout", Json.NULL, "vocab", vocab, "merges", merges);
        for (int i = 0; i < extra.length; i += 2) m.put((String) extra[i], extra[i + 1]);
        return m;
    }

    private static Map<String, Object> template(String bos, long bosId) {
        Map<String, Object> sp = map("SpecialToken", map("id", bos, "type_id", 0L));
        return map("type", "TemplateProcessing", "single", List.of(sp, map("Sequence", map("id", "A", "type_id", 0L))),
                "pair", List.of(sp, map("Sequence", map("id", "A", "type_id", 0L)), map("Sequence", map("id", "B", "type_id", 1L))),
                "special_tokens", map(bos, map("id", bos, "ids", List.of(bosId), "tokens", List.of(bos))));
    }

    /** GPT-2: byte-level alphabet (Ġ is the space), merges, ByteLevel pre-tokenizer and decoder. */
    private static Map<String, Object> gpt2() {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (String t : List.of("<s>", "</s>", "h", "e", "l", "o", "Ġ", "w", "r", "d", "he", "ll", "hell", "hello", "Ġw", "Ġwor", "or", "ld", "H")) {
            vocab.put(t, (long) vocab.size());
        }
        List<Object> merges = List.of("h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d");
        return root(bpe(vocab, new ArrayList<>(merges)), List.of(added(0, "<s>", true), added(1, "</s>", true)), Json.NULL,
                map("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true),
                map("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", false, "use_regex", true),
                map("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true));
    }

    /** SentencePiece converted (Llama 2, Gemma): ▁ for spaces, byte fallback, decoder sequence. */
    private static Map<String, Object> sentencePiece() {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (String t : List.of("<unk>", "<s>", "</s>", "<0x0A>", "<0x20>", "<0xC3>", "<0xA9>", "▁", "h", "e", "l", "o", "w", "r", "d",
                "▁h", "▁he", "ll", "llo", "▁hello", "▁w", "or", "▁wor", "▁world")) {
            vocab.put(t, (long) vocab.size());
        }
        List<Object> merges = new ArrayList<>(List.of(List.of("▁", "h"), List.of("▁h", "e"), List.of("l", "l"), List.of("ll", "o"),
                List.of("▁he", "llo"), List.of("▁", "w"), List.of("o", "r"), List.of("▁w", "or"), List.of("▁wor", "ld")));
        vocab.put("ld", (long) vocab.size());
        merges.add(0, List.of("l", "d"));
        Map<String, Object> normalizer = map("type", "Sequence", "normalizers", List.of(map("type", "Prepend", "prepend", "▁"),
                map("type", "Replace", "pattern", map("String", " "), "content", "▁")));
        Map<String, Object> decoder = map("type", "Sequence", "decoders", List.of(
                map("type", "Replace", "pattern", map("String", "▁"), "content", " "), map("type", "ByteFallback"),
                map("type", "Fuse"), map("type", "Strip", "content", " ", "start", 1L, "stop", 0L)));
        return root(bpe(vocab, merges, "unk_token", "<unk>", "fuse_unk", true, "byte_fallback", true, "ignore_merges", false),
                List.of(added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true)), normalizer, Json.NULL,
                template("<s>", 1), decoder);
    }

    /** Llama 3: a Split regex then ByteLevel without its own regex, NFC, ignore_merges. */
    private static Map<String, Object> llama3() {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (String t : List.of("h", "e", "l", "o", "Ġ", "w", "r", "d", "he", "ll", "hello", "hell", "Ġw", "or", "Ġwor", "ld", "Ġworld", "1", "2")) {
            vocab.put(t, (long) vocab.size());
        }
        List<Object> merges = new ArrayList<>(List.of("h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"));
        String regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        Map<String, Object> pre = map("type", "Sequence", "pretokenizers", List.of(
                map("type", "Split", "pattern", map("Regex", regex), "behavior", "Isolated", "invert", false),
                map("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", false)));
        return root(bpe(vocab, merges, "ignore_merges", true),
                List.of(added(19, "<|begin_of_text|>", true), added(20, "<|end_of_text|>", true)), map("type", "NFC"), pre,
                map("type", "Sequence", "processors", List.of(map("type", "ByteLevel", "trim_offsets", false), template("<|begin_of_text|>", 19))),
                map("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true));
    }

    // ------------------------------------------------------------------------------ the loop

    @Test
    @Timeout(60)
    void mutantsLoadAndTokenizeOrFailWithTokenizerFormatException() throws IOException {
        List<Map<String, Object>> bases = List.of(gpt2(), sentencePiece(), llama3());
        for (int b = 0; b < bases.size(); b++) {
            assertTrue(check("base-" + b, Json.write(bases.get(b)).getBytes(StandardCharsets.UTF_8)), "base " + b + " must load");
        }
        long t0 = System.nanoTime();
        Map<String, int[]> stats = JsonMutator.fuzz(SEED, MUTANTS, bases, this::check);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int loaded = stats.values().stream().mapToInt(s -> s[0]).sum();
        assertTrue(loaded > MUTANTS / 10 && loaded < MUTANTS * 9 / 10, "loaded " + loaded + " of " + MUTANTS + ": " + describe(stats));
        assertTrue(ms < 20_000, "fuzzing took " + ms + " ms");
    }

    static String describe(Map<String, int[]> stats) {
        StringBuilder sb = new StringBuilder();
        stats.forEach((k, v) -> sb.append(k).append('=').append(v[0]).append('/').append(v[1]).append(' '));
        return sb.toString().trim();
    }

    /** True when the file loaded and tokenizes consistently; false when it was rejected cleanly. */
    private boolean check(String label, byte[] bytes) throws IOException {
        Path sub = Files.createDirectories(dir.resolve(label.split(" ")[0]));
        Path file = sub.resolve("tokenizer.json");
        Files.write(file, bytes);
        try {
            Tokenizer t = Tokenizer.load(file);
            int v = t.vocabSize();
            assertTrue(v > 0, label);
            for (String text : TEXTS) {
                for (boolean specials : new boolean[] {true, false}) {
                    int[] ids = t.encode(text, specials);
                    for (int id : ids) assertTrue(id >= 0 && id < v, label + ": id " + id + " outside [0, " + v + ") encoding \"" + text + "\"");
                    t.decode(ids, false);
                    t.decode(ids, true);
                }
            }
            // every id that has a token decodes (a vocabulary may have holes: decode rejects those ids by name)
            int[] all = java.util.stream.IntStream.range(0, v).filter(i -> t.idToToken(i) != null).toArray();
            for (int i : all) t.tokenToId(t.idToToken(i));
            t.decode(all, false);
            return true;
        } catch (TokenizerFormatException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()),
                    label + ": message does not name the file: " + e.getMessage());
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable e) {
            fail(label + ": unexpected " + e, e);
            return false;
        } finally {
            Files.delete(file);
            Files.delete(sub);
        }
    }
}
