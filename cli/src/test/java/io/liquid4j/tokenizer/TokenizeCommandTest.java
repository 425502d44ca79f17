package io.liquid4j.tokenizer;

import io.liquid4j.cli.LiquidCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static io.liquid4j.tokenizer.TinyTokenizerFiles.bpe;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.load;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.map;
import static io.liquid4j.tokenizer.TinyTokenizerFiles.vocab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `liquid tokenize`: ids as JSON on stdout, --decode back to text, clear errors. */
class TokenizeCommandTest {
    @TempDir Path dir;

    /** Runs the CLI and returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = LiquidCli.execute(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Path tinyTokenizer() {
        load(dir, bpe(vocab("a", "b", "ab", "<s>"), List.of("a b")),
                "added_tokens", List.of(TinyTokenizerFiles.addedToken(3, "<s>", true)),
                "post_processor", map("type", "TemplateProcessing",
                        "single", List.of(map("SpecialToken", map("id", "<s>", "type_id", 0)), map("Sequence", map("id", "A", "type_id", 0))),
                        "special_tokens", map("<s>", map("id", "<s>", "ids", List.of(3), "tokens", List.of("<s>")))),
                "decoder", map("type", "Fuse"));
        return dir.resolve("tokenizer.json");
    }

    @Test
    void encodesToJsonIdsAndDecodesBack() {
        Path file = tinyTokenizer();
        assertEquals(List.of(0, "[3,2,0]\n"), List.of(run("tokenize", "--tokenizer", file.toString(), "--text", "aba")).subList(0, 2));
        assertEquals("[2,0]\n", run("tokenize", "--tokenizer", file.toString(), "--text", "aba", "--no-special")[1]);
        assertEquals("<s>aba\n", run("tokenize", "--tokenizer", file.toString(), "--decode", "3,2,0")[1]);
        assertEquals("aba\n", run("tokenize", "--tokenizer", dir.toString(), "--decode", "3,2,0", "--no-special")[1], "a directory works too");
    }

    @Test
    void errorsAreOneSentenceOnStderr() {
        Path file = tinyTokenizer();
        Object[] r = run("tokenize", "--tokenizer", file.toString(), "--decode", "7");
        assertNotEquals(0, r[0]);
        assertEquals("", r[1]);
        assertTrue(((String) r[2]).startsWith("error: token id 7 is not in the vocabulary of "), (String) r[2]);
        assertNotEquals(0, run("tokenize", "--tokenizer", file.toString())[0], "--text or --decode is required");
    }

    @Test
    void gemmaExampleFromTheReferencePackage() {
        Path gemma = ReferenceTokenizers.tokenizerJson("gemma");
        assertEquals("[2,106,1645,108,139,544,139,11048,255969,235341]\n",
                run("tokenize", "--tokenizer", gemma.toString(), "--text", "<start_of_turn>user\n  hi  there\t\t!")[1]);
    }
}
