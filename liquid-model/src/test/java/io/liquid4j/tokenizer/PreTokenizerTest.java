package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Split behaviours, ByteLevel, Metaspace and the Llama 3 / Qwen2 split regexes. */
class PreTokenizerTest {
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_REGEX = LLAMA3_REGEX.replace("\\p{N}{1,3}", "\\p{N}");

    private static List<String> run(PreTokenizer p, String text, boolean atTextStart) {
        List<String> out = new ArrayList<>();
        p.split(text, atTextStart, out);
        return out;
    }

    private static PreTokenizer.Split split(String regex, PreTokenizer.Behavior b, boolean invert) {
        return new PreTokenizer.Split(OnigurumaPattern.compile(regex, "test"), b, invert);
    }

    @Test
    void splitBehavioursMatchHuggingFaceDocumentation() {
        // The example of HF's SplitDelimiterBehavior docs: "the-final--countdown" split on "-".
        String text = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), run(split("-", PreTokenizer.Behavior.REMOVED, false), text, true));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), run(split("-", PreTokenizer.Behavior.ISOLATED, false), text, true));
        assertEquals(List.of("the-", "final-", "-", "countdown"), run(split("-", PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false), text, true));
        assertEquals(List.of("the", "-final", "-", "-countdown"), run(split("-", PreTokenizer.Behavior.MERGED_WITH_NEXT, false), text, true));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), run(split("-", PreTokenizer.Behavior.CONTIGUOUS, false), text, true));
    }

    @Test
    void invertedSplitKeepsTheMatches() {
        assertEquals(List.of("hi", "there"), run(split("\\w+", PreTokenizer.Behavior.REMOVED, true), "hi, there", true));
        assertEquals(List.of("hi", ", ", "there"), run(split("\\w+", PreTokenizer.Behavior.ISOLATED, true), "hi, there", true));
    }

    @Test
    void llama3RegexSplitsLikeOniguruma() {
        // Worked by hand: "\s+(?!\S)" leaves the last space of a run for the next word; numbers go in threes.
        assertEquals(List.of("Hello", ",", "  ", " world", "!\n\n", " ", " ", "123", "456", " don", "'t", " I", "'M"),
                run(split(LLAMA3_REGEX, PreTokenizer.Behavior.ISOLATED, false), "Hello,   world!\n\n  123456 don't I'M", true));
        assertEquals(List.of("x", "1", "2", "3", "4"), run(split(QWEN2_REGEX, PreTokenizer.Behavior.ISOLATED, false), "x1234", true));
        // "\s*[\r\n]+" takes a whole run of blank lines, inner spaces included.
        assertEquals(List.of("a", " \t", " b", "\n  \n\n", "c"),
                run(split(LLAMA3_REGEX, PreTokenizer.Behavior.ISOLATED, false), "a \t b\n  \n\nc", true));
    }

    @Test
    void whitespaceIsUnicodeWhiteSpaceAsInOniguruma() {
        // U+0085 (NEL) is White_Space for Oniguruma and Java (not for JavaScript's \s); U+FEFF is not.
        assertEquals(List.of("x", " \u0085", "\u0085y"),
                run(split(LLAMA3_REGEX, PreTokenizer.Behavior.ISOLATED, false), "x \u0085\u0085y", true));
        assertEquals(List.of("a", "\uFEFF", " b"), run(split(LLAMA3_REGEX, PreTokenizer.Behavior.ISOLATED, false), "a\uFEFF b", true));
        // U+3000 (ideographic space) may lead a word like an ASCII space does.
        assertEquals(List.of("日本", "\u3000語"), run(split(LLAMA3_REGEX, PreTokenizer.Behavior.ISOLATED, false), "日本\u3000\u8a9e", true));
    }

    @Test
    void onigurumaOnlySyntaxIsTranslated() {
        // Possessive quantifiers (tiktoken's o200k style) behave as in Oniguruma.
        Pattern possessive = OnigurumaPattern.compile("[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}+", "test");
        assertEquals(List.of("'hello", " world", "123", "4"), matches(possessive, "'hello world1234"));
        assertEquals(List.of("09af"), matches(OnigurumaPattern.compile("\\h+", "test"), "xyz09afG"), "\\h is a hex digit");
        assertEquals(List.of("漢字"), matches(OnigurumaPattern.compile("\\p{Han}+", "test"), "abc漢字def"), "script names");
        assertEquals(List.of("abc", "def"), matches(OnigurumaPattern.compile("\\p{^Han}+", "test"), "abc漢字def"), "negated property");
        assertEquals(List.of("'S", "'ll"), matches(OnigurumaPattern.compile("(?i:'s|'ll)", "test"), "it'S we'll"));
    }

    @Test
    void byteLevelMapsBytesToVisibleChars() {
        PreTokenizer withRegex = new PreTokenizer.ByteLevel(true, OnigurumaPattern.compile(PreTokenizer.ByteLevel.GPT2_REGEX, "test"));
        assertEquals(List.of("ĠHello", "Ġworld", "!", "Ċ"), run(withRegex, "Hello world!\n", true));
        PreTokenizer whole = new PreTokenizer.ByteLevel(false, null);
        assertEquals(List.of("Ã©ĠâĤ¬"), run(whole, "é €", true), "é = C3 A9, space = Ġ, € = E2 82 AC");
        assertEquals(List.of("ï¿½"), run(whole, "\uD800", true), "a lone surrogate is U+FFFD's bytes");
    }

    @Test
    void metaspaceReplacesSpacesAndPrependsPerScheme() {
        assertEquals(List.of("▁Hey", "▁friend"), run(new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.ALWAYS, true), "Hey friend", false));
        assertEquals(List.of("Hey", "▁friend"), run(new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.FIRST, true), "Hey friend", false));
        assertEquals(List.of("▁Hey", "▁friend"), run(new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.FIRST, true), "Hey friend", true));
        assertEquals(List.of("Hey▁▁friend"), run(new PreTokenizer.Metaspace("▁", PreTokenizer.PrependScheme.NEVER, false), "Hey  friend", true));
    }

    private static List<String> matches(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        var m = p.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }
}
