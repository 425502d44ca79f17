package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.liquid4j.tokenizer.TinyTokenizerFiles.bpe;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.load;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.map;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.vocab;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken tokenizer.json files fail with one sentence naming the file and the field. */
class TokenizerFileErrorsTest {
    @TempDir Path dir;

    private void assertError(String expectedPart, Runnable r) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, r::run);
        assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void mergeOfUnknownTokenNamesTheMerge() {
        assertError("model.merges[1] (\"a\", \"x\") uses \"x\", which is not in model.vocab",
                () -> load(dir, bpe(vocab("a", "b", "ab"), List.of("a b", "a x"))));
        assertError("model.merges[0] \"ab\" must be two tokens separated by one space",
                () -> load(dir, bpe(vocab("a", "b", "ab"), List.of("ab"))));
    }

    @Test
    void unsupportedComponentsAreNamed() {
        assertError("normalizer type \"BertNormalizer\" at normalizer is not supported",
                () -> load(dir, bpe(vocab("a"), List.of()), "normalizer", map("type", "BertNormalizer")));
        assertError("pre_tokenizer.pretokenizers[0].behavior must be Removed, Isolated",
                () -> load(dir, bpe(vocab("a"), List.of()), "pre_tokenizer", map("type", "Sequence",
                        "pretokenizers", List.of(map("type", "Split", "pattern", map("String", " "), "behavior", "Sideways")))));
        assertError("model.type is \"WordPiece\" but liquid4j reads only BPE models",
                () -> load(dir, map("type", "WordPiece", "vocab", vocab("a"))));
        assertError("pre_tokenizer.pattern.Regex: regex \"(unclosed\" cannot be compiled",
                () -> load(dir, bpe(vocab("a"), List.of()), "pre_tokenizer",
                        map("type", "Split", "pattern", map("Regex", "(unclosed"), "behavior", "Isolated")));
    }

    @Test
    void missingFilesAndModelsAreNamed() throws Exception {
        assertError("model is missing", () -> {
            try {
                Path f = dir.resolve("tokenizer.json");
                Files.writeString(f, "{\"version\": \"1.0\"}");
                HfTokenizer.load(f);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir.resolve("none")));
        assertTrue(e.getMessage().endsWith("none: no such tokenizer file"), e.getMessage());
    }

    /** Fuzzer finds (TokenizerFuzzTest): a template id past the vocabulary, or one with no token, was emitted by encode. */
    @Test
    void templateIdsMustNameTokens() {
        Object post = map("type", "TemplateProcessing", "single", List.of(map("SpecialToken", map("id", "<s>")), map("Sequence", map("id", "A"))),
                "special_tokens", map("<s>", map("id", "<s>", "ids", List.of(7), "tokens", List.of("<s>"))));
        assertError("post_processor.special_tokens.<s>.ids[0] is 7, which is no token of model.vocab or added_tokens (ids run from 0 to 2)",
                () -> load(dir, bpe(vocab("a", "b", "ab"), List.of("a b")), "post_processor", post));
        Object negative = map("type", "Sequence", "processors", List.of(map("type", "TemplateProcessing", "single", List.of(map("SpecialToken", map("id", "<s>"))),
                "special_tokens", map("<s>", map("id", "<s>", "ids", List.of(-1))))));
        assertError("post_processor.processors[0].special_tokens.<s>.ids[0] is -1",
                () -> load(dir, bpe(vocab("a"), List.of()), "post_processor", negative));
    }

    /** Fuzzer find (TokenizerFuzzTest): invalid UTF-8 was a MalformedInputException "Input length = 1" naming no file. */
    @Test
    void invalidUtf8NamesFileAndPosition() throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.write(f, new byte[] {'{', '\n', '"', 'v', (byte) 0xFF, '"', ':', '1', '}'});
        assertError("tokenizer.json: line 2, column 3: not valid UTF-8 (byte 0xFF at byte offset 4)", () -> {
            try {
                Tokenizer.load(f);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
