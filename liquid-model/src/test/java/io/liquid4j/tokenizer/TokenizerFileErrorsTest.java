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
}
