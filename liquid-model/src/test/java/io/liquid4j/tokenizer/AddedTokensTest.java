package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.liquid4j.tokenizer.TinyTokenizerFiles.addedToken;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.bpe;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.load;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.map;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.vocab;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Added tokens: leftmost-longest, single_word, lstrip, rstrip and normalized. */
class AddedTokensTest {
    @TempDir Path dir;

    private static AddedToken token(int id, String content) {
        return new AddedToken(id, content, false, false, false, false, true);
    }

    /** The sections as "text" for plain text and "[content]" for tokens (with the span they took). */
    private static List<String> split(List<AddedToken> tokens, String text) {
        List<AddedTokenMatcher.Section> sections = new ArrayList<>();
        new AddedTokenMatcher(tokens, s -> s).split(text, 0, sections);
        return sections.stream().map(s -> s.token() == null ? s.text() : "[" + s.text() + "]").toList();
    }

    @Test
    void leftmostThenLongestMatchWins() {
        List<AddedToken> tokens = List.of(token(1, "<s>"), token(2, "<s>x"), token(3, "s>xy"));
        assertEquals(List.of("q", "[<s>x]", "yab"), split(tokens, "q<s>xyab"), "starts earliest beats longer later");
        assertEquals(List.of("[<s>]", "[<s>]"), split(tokens, "<s><s>"));
        assertEquals(List.of("<s"), split(tokens, "<s"));
    }

    @Test
    void singleWordTokensOnlyMatchWholeWords() {
        List<AddedToken> tokens = List.of(new AddedToken(1, "cat", true, false, false, false, false));
        assertEquals(List.of("[cat]", " concat cats ", "[cat]", "."), split(tokens, "cat concat cats cat."));
        assertEquals(List.of("écat ", "[cat]"), split(tokens, "écat cat"), "é is a word character");
        // The example of HF's test_single_word_is_correct.
        List<AddedToken> mask = List.of(new AddedToken(0, "<mask>", true, false, false, false, false));
        assertEquals(List.of("[<mask>]", " My name ", "[<mask>]", " A<mask> <mask>ony ", "[<mask>]"),
                split(mask, "<mask> My name <mask> A<mask> <mask>ony <mask>"));
    }

    @Test
    void lstripAndRstripTakeTheNeighbouringWhitespace() {
        List<AddedToken> tokens = List.of(new AddedToken(1, "<m>", false, true, false, false, true),
                new AddedToken(2, "<n>", false, false, true, false, true));
        assertEquals(List.of("a", "[  <m>]", " b"), split(tokens, "a  <m> b"));
        assertEquals(List.of("a ", "[<n> \t]", "b"), split(tokens, "a <n> \tb"));
    }

    @Test
    void normalizedTokensAreFoundInNormalizedText() {
        // The normalizer turns spaces into ▁. "▁x" (normalized) is found in " x"; "▁y" (not normalized) is not found in " y".
        HfTokenizer tok = load(dir, bpe(vocab("▁", "x", "y", "<unk>"), List.of(), "unk_token", "<unk>"),
                "added_tokens", List.of(addedToken(4, "▁x", false, "normalized", true), addedToken(5, "▁y", false)),
                "normalizer", map("type", "Replace", "pattern", map("String", " "), "content", "▁"));
        assertArrayEquals(new int[] {4, 0, 2}, tok.encode(" x y", false));
        assertArrayEquals(new int[] {5}, tok.encode("▁y", false), "raw text holding the token's exact content");
        assertEquals(6, tok.vocabSize());
        assertEquals(4, tok.tokenToId("▁x"));
        assertEquals("▁y", tok.idToToken(5));
    }

    @Test
    void specialTokensAreSkippedOnRequest() {
        HfTokenizer tok = load(dir, bpe(vocab("a", "b"), List.of()),
                "added_tokens", List.of(addedToken(2, "<bos>", true), addedToken(3, "<tag>", false)),
                "post_processor", map("type", "TemplateProcessing",
                        "single", List.of(map("SpecialToken", map("id", "<bos>", "type_id", 0)), map("Sequence", map("id", "A", "type_id", 0))),
                        "special_tokens", map("<bos>", map("id", "<bos>", "ids", List.of(2), "tokens", List.of("<bos>")))),
                "decoder", map("type", "Fuse"));
        int[] ids = tok.encode("a<tag>b<bos>", true);
        assertArrayEquals(new int[] {2, 0, 3, 1, 2}, ids);
        assertArrayEquals(new int[] {0, 3, 1, 2}, tok.encode("a<tag>b<bos>", false));
        assertEquals("<bos>a<tag>b<bos>", tok.decode(ids));
        assertEquals("a<tag>b", tok.decode(ids, true), "only special tokens are skipped");
        assertEquals(2, tok.bosId());
    }
}
