package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.liquid4j.tokenizer.TinyTokenizerFiles.bpe;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.load;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.map;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.vocab;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The BPE model on hand-made vocabularies, with the expected ids worked out by hand. */
class BpeMergeTest {
    @TempDir Path dir;

    //                                    0    1    2    3     4     5      6        7         8         9
    private static final String[] TOKENS = {"a", "b", "c", "ab", "bc", "abc", "<unk>", "<0xC3>", "<0xA9>", "aa"};

    @Test
    void lowestRankMergesFirst() {
        // "b c" outranks "a b": abc → a·bc, and no (a, bc) merge exists.
        assertArrayEquals(new int[] {0, 4}, load(dir, bpe(vocab(TOKENS), List.of("b c", "a b", "ab c"))).encode("abc", false));
        // "a b" first: ab·c, then "ab c" → abc.
        assertArrayEquals(new int[] {5}, load(dir, bpe(vocab(TOKENS), List.of("a b", "b c", "ab c"))).encode("abc", false));
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        HfTokenizer tok = load(dir, bpe(vocab(TOKENS), List.of("a a")));
        assertArrayEquals(new int[] {9, 0}, tok.encode("aaa", false), "aaa → aa·a, not a·aa");
        assertArrayEquals(new int[] {9, 9}, tok.encode("aaaa", false));
        assertArrayEquals(new int[] {9, 9, 0}, tok.encode("aaaaa", false));
    }

    @Test
    void pairMergesReadLikeStringMerges() {
        HfTokenizer strings = load(dir, bpe(vocab(TOKENS), List.of("a b", "b c", "ab c")));
        HfTokenizer pairs = load(dir, bpe(vocab(TOKENS), List.of(List.of("a", "b"), List.of("b", "c"), List.of("ab", "c"))));
        for (String s : new String[] {"abc", "cba", "abcabc", "bcab"}) {
            assertArrayEquals(strings.encode(s, false), pairs.encode(s, false), s);
        }
    }

    @Test
    void byteFallbackOnlyWhenEveryByteTokenExists() {
        HfTokenizer tok = load(dir, bpe(vocab(TOKENS), List.of(), "unk_token", "<unk>", "byte_fallback", true),
                "decoder", map("type", "Sequence", "decoders", List.of(map("type", "ByteFallback"), map("type", "Fuse"))));
        assertArrayEquals(new int[] {0, 7, 8}, tok.encode("aé", false), "é = C3 A9");
        assertArrayEquals(new int[] {6}, tok.encode("ü", false), "ü = C3 BC and <0xBC> is missing: unk");
        assertEquals("aé", tok.decode(new int[] {0, 7, 8}));
    }

    @Test
    void unknownCharactersFuseOnlyWhenAsked() {
        assertArrayEquals(new int[] {0, 6, 1}, load(dir, bpe(vocab(TOKENS), List.of(), "unk_token", "<unk>", "fuse_unk", true))
                .encode("axyzb", false));
        assertArrayEquals(new int[] {0, 6, 6, 6, 1}, load(dir, bpe(vocab(TOKENS), List.of(), "unk_token", "<unk>"))
                .encode("axyzb", false));
    }

    @Test
    void ignoreMergesEmitsWholeVocabularyWords() {
        // No merge builds "abc", yet it is a vocabulary entry.
        assertArrayEquals(new int[] {5}, load(dir, bpe(vocab(TOKENS), List.of(), "ignore_merges", true)).encode("abc", false));
        assertArrayEquals(new int[] {0, 1, 2}, load(dir, bpe(vocab(TOKENS), List.of())).encode("abc", false));
    }

    @Test
    void longWordsMergeLikeShortOnes() {
        // 20,001 a's: pairs merge leftmost-first, leaving 10,000 "aa" and one "a".
        int[] ids = load(dir, bpe(vocab(TOKENS), List.of("a a"))).encode("a".repeat(20_001), false);
        assertEquals(10_001, ids.length);
        assertEquals(0, ids[10_000]);
        assertEquals(9, ids[0]);
    }
}
