package io.liquid4j.cli;

import io.liquid4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `liquid train-tokenizer`: .txt and .jsonl in, a loadable tokenizer.json out, one-line errors. */
class TrainTokenizerCommandTest {
    @TempDir Path dir;

    /** Runs the CLI and returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new Object[] {r.code(), r.out(), r.err()};
    }

    private Path write(String name, List<String> lines) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void trainsFromTxtAndJsonlAndWritesALoadableTokenizer() throws IOException {
        List<String> txt = new ArrayList<>();
        List<String> jsonl = new ArrayList<>();
        String[] animals = {"cat", "dog", "fox", "owl", "bee"};
        for (int i = 0; i < 400; i++) {
            txt.add("The " + animals[i % 5] + " sleeps under the " + animals[(i / 5) % 5] + " tree.");
            jsonl.add(i % 2 == 0 ? "{\"caption\": \"a photo of a " + animals[i % 5] + "\", \"codes\": [1, 2]}"
                    : "{\"text\": \"A story about a " + animals[i % 5] + ".\"}");
        }
        jsonl.add("{\"codes\": [3]}");
        jsonl.add("");
        Path a = write("a.txt", txt), b = write("b.jsonl", jsonl);
        Path out = dir.resolve("tok");
        Object[] r = run("train-tokenizer", "--data", a + "," + b, "--vocab-size", "300", "--out", out.toString());
        String err = (String) r[2];
        assertEquals(0, r[0], err);
        assertEquals("", r[1], "nothing on stdout");
        assertTrue(err.contains("read 800 documents"), err);
        assertTrue(err.contains("1 record without \"text\" or \"caption\" skipped"), err);
        assertTrue(err.contains("vocab 300 (4 special + 256 bytes + 40 merges)"), err);
        assertTrue(err.contains("bytes/token"), err);

        Tokenizer tok = Tokenizer.load(out);
        assertEquals(300, tok.vocabSize());
        assertEquals(2, tok.bosId());
        assertEquals(1, tok.eosId());
        int[] ids = tok.encode("The cat sleeps under the owl tree.", true);
        assertEquals(2, ids[0]);
        assertTrue(ids.length <= 9, "frequent words are single tokens: " + ids.length);
        assertEquals("The cat sleeps under the owl tree.", tok.decode(ids, true));

        Object[] again = run("tokenize", "--tokenizer", out.toString(), "--text", "A story", "--no-special");
        assertEquals(0, again[0]);
        assertFalse(((String) again[1]).isBlank());
    }

    @Test
    void errorsAreOneLineOnStderr() throws IOException {
        Path txt = write("a.txt", List.of("hello world", "hello there"));
        Path out = dir.resolve("tok");

        Object[] r = run("train-tokenizer", "--data", dir.resolve("missing.txt").toString(), "--vocab-size", "300", "--out", out.toString());
        assertEquals(1, r[0]);
        assertEquals("error: " + dir.resolve("missing.txt") + ": no such data file\n", r[2]);

        r = run("train-tokenizer", "--data", txt.toString(), "--vocab-size", "200", "--out", out.toString());
        assertEquals("error: vocab size 200 is smaller than the 256 byte tokens plus 4 special tokens: it must be at least 260\n", r[2]);

        Path bad = write("bad.jsonl", List.of("{\"text\": \"fine\"}", "{\"text\": 3}"));
        r = run("train-tokenizer", "--data", txt + "," + bad, "--vocab-size", "300", "--out", out.toString());
        assertEquals("error: " + bad + ":2: \"text\" must be a string but is number\n", r[2]);

        Path broken = write("broken.jsonl", List.of("{\"text\": \"fine\"}", "", "{\"text\": "));
        r = run("train-tokenizer", "--data", broken.toString(), "--vocab-size", "300", "--out", out.toString());
        assertTrue(((String) r[2]).startsWith("error: " + broken + ":3: bad JSON record: "), (String) r[2]);

        r = run("train-tokenizer", "--data", txt.toString(), "--vocab-size", "300", "--special", "<pad>,<eos>", "--out", out.toString());
        assertEquals("error: no BOS among the special tokens [<pad>, <eos>]: name one with --bos, or pass --no-bos\n", r[2]);

        Path csv = write("a.csv", List.of("x"));
        r = run("train-tokenizer", "--data", csv.toString(), "--vocab-size", "300", "--out", out.toString());
        assertEquals("error: " + csv + ": expected a .txt (one document per line) or .jsonl file\n", r[2]);
        assertFalse(Files.exists(out), "nothing written after an error");
    }

    @Test
    void stoppingEarlyIsReported() throws IOException {
        Path txt = write("a.txt", List.of("hello hello hello"));
        Object[] r = run("train-tokenizer", "--data", txt.toString(), "--vocab-size", "1000", "--special", "", "--no-bos",
                "--out", dir.resolve("tok").toString());
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("stopped early: no pair left that occurs 2+ times"), (String) r[2]);
    }
}
