package io.liquid4j.liquid.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.fuzz.JsonMutator;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.LiquidLayoutException;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
 * Mutation fuzzing of the Liquid files a user writes by hand or by script: liquid.json
 * ({@link LiquidLayout#read}) and JSONL training data ({@link TrainingData#load}). A liquid.json
 * mutant must read into a layout whose VQGAN path resolves, or fail with a
 * {@link LiquidLayoutException} naming the file. A JSONL mutant must load (corrupt lines reported
 * as "file:line: reason" and skipped; every id of every sequence inside the vocabulary, every
 * label counted or ignored, no sequence over the context) or fail with an
 * IllegalArgumentException naming file:line. Nothing else: no NPE, ClassCast, index, arithmetic,
 * out-of-memory or stack-overflow error, and no hang.
 *
 * <p>Mutant i draws from {@code Random(SEED * 1_000_003 + i)}: a failure's index reproduces it.
 */
class LiquidFilesFuzzTest {
    private static final long SEED = 0x11_9D1DL;
    private static final int CODES = 16, MAX_LEN = 64;

    @TempDir Path dir;

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    // ------------------------------------------------------------------------------ liquid.json

    @Test
    @Timeout(60)
    void liquidJsonMutantsReadOrFailWithLiquidLayoutException() throws IOException {
        List<Object> bases = List.of(
                Json.parse(new LiquidLayout(40, 16, 4, 5, 6, 4, 4, "vqgan").toJson()),
                Json.parse(new LiquidLayout(256000, 8192, 255999, 255998, 3, 32, 32, null).toJson()),
                Json.parse(new LiquidLayout(7, 1, 0, 1, 2, 1, 1, "/abs/vq dir").toJson()));
        int read = 0, mutants = 800;
        long t0 = System.nanoTime();
        for (int i = -bases.size(); i < mutants; i++) {
            Random rnd = new Random(SEED * 1_000_003L + i);
            StringBuilder how = new StringBuilder();
            byte[] bytes = i < 0 ? Json.write(bases.get(-i - 1)).getBytes(StandardCharsets.UTF_8)
                    : JsonMutator.mutate(rnd, bases.get(rnd.nextInt(bases.size())), how);
            String label = (i < 0 ? "base" + i : "mutant-" + i) + " (" + how + ")";
            Path file = dir.resolve(FILE_NAMES[Math.floorMod(i, FILE_NAMES.length)]);
            Files.write(file, bytes);
            try {
                LiquidLayout l = LiquidLayout.read(file);
                assertTrue(l.textVocabSize() > 0 && l.imageCodes() > 0 && l.tokensPerImage() > 0, label);
                assertEquals(l.textVocabSize() + l.imageCodes(), l.totalVocabSize(), label);
                assertEquals(l.textVocabSize() + l.imageCodes() - 1, l.tokenId(l.imageCodes() - 1), label);
                if (l.vqgan() != null) l.vqganDir(dir);
                Path again = Files.writeString(dir.resolve("again.json"), l.toJson());
                assertEquals(l, LiquidLayout.read(again), label + ": written back and read again");
                read++;
            } catch (LiquidLayoutException e) {
                assertTrue(i >= 0, label + ": a base must read: " + e.getMessage());
                assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()), label + ": message does not name the file: " + e.getMessage());
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable e) {
                fail(label + ": unexpected " + e, e);
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(read > bases.size() + mutants / 20 && read < mutants * 9 / 10, "read " + read + " of " + mutants);
        assertTrue(ms < 20_000, "fuzzing took " + ms + " ms");
    }

    /** Odd names too: the file name must survive into every message. */
    private static final String[] FILE_NAMES = {"liquid.json", "li quid.json", "\u00e9t\u00e9.json"};

    // ------------------------------------------------------------------------------ JSONL

    @Test
    @Timeout(60)
    void jsonlMutantsLoadOrFailNamingFileAndLine() throws IOException {
        TinyLiquidModel.writeTokenizer(dir);
        SequenceBuilder builder = new SequenceBuilder(Tokenizer.load(dir), TinyLiquidModel.TEXT_VOCAB, CODES,
                TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND);
        int vocab = TinyLiquidModel.TEXT_VOCAB + CODES;
        List<Object> records = List.of(
                map("text", "a small red square."),
                map("caption", "a blue circle", "codes", List.of(0L, 3L, 15L, 7L)),
                map("input_ids", List.of(2L, 8L, 9L, 45L), "labels", List.of(-100L, 8L, 9L, 45L), "task", "t2i"),
                map("input_ids", List.of(2L, 10L), "labels", List.of(2L, 10L)),
                map("caption", "", "codes", List.of(1L)),
                map("text", "\u00e9t\u00e9 \uD83D\uDE00 \u0000 end"));
        int loaded = 0, mutants = 600;
        long t0 = System.nanoTime();
        for (int i = -1; i < mutants; i++) {
            Random rnd = new Random(SEED * 1_000_003L + 7 + i);
            StringBuilder how = new StringBuilder();
            List<String> lines = new ArrayList<>();
            for (Object r : records) lines.add(Json.write(r));
            if (i >= 0) {
                int at = rnd.nextInt(lines.size());
                byte[] m = JsonMutator.mutate(rnd, records.get(at), how);
                how.append(" @line ").append(at + 1);
                lines.set(at, new String(m, StandardCharsets.UTF_8));   // invalid UTF-8 becomes U+FFFD: the reader decodes strictly below
                if (rnd.nextInt(4) == 0) {   // the raw bytes instead: damaged encoding and line structure
                    String whole = String.join("\n", lines.subList(0, at)) + (at > 0 ? "\n" : "");
                    byte[] head = whole.getBytes(StandardCharsets.UTF_8);
                    byte[] tail = ("\n" + String.join("\n", lines.subList(at + 1, lines.size()))).getBytes(StandardCharsets.UTF_8);
                    lines = null;
                    byte[] all = new byte[head.length + m.length + tail.length];
                    System.arraycopy(head, 0, all, 0, head.length);
                    System.arraycopy(m, 0, all, head.length, m.length);
                    System.arraycopy(tail, 0, all, head.length + m.length, tail.length);
                    how.append(" raw");
                    loaded += checkJsonl("mutant-" + i + " (" + how + ")", all, builder, vocab) ? 1 : 0;
                    continue;
                }
            }
            byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            boolean ok = checkJsonl((i < 0 ? "base" : "mutant-" + i) + " (" + how + ")", bytes, builder, vocab);
            assertTrue(ok || i >= 0, "the base data must load");
            loaded += ok ? 1 : 0;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(loaded > mutants / 10 && loaded < mutants, "loaded " + loaded + " of " + mutants);
        assertTrue(ms < 20_000, "fuzzing took " + ms + " ms");
    }

    private boolean checkJsonl(String label, byte[] bytes, SequenceBuilder builder, int vocab) throws IOException {
        Path file = dir.resolve("train data.jsonl");
        Files.write(file, bytes);
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        try {
            TrainingData d = TrainingData.load(List.of(file), builder, new DataOptions(0.5, 0.1, 3, MAX_LEN, false, CODES),
                    new PrintStream(report, true, StandardCharsets.UTF_8));
            for (int s = 0; s < d.size(); s++) {
                TrainingSequence q = d.get(s);
                assertTrue(q.length() > 0 && q.length() <= MAX_LEN, label + ": length " + q.length());
                for (int t = 0; t < q.length(); t++) {
                    int id = q.inputIds()[t], l = q.labels()[t];
                    assertTrue(id >= 0 && id < vocab, label + ": input id " + id + " outside [0, " + vocab + ")");
                    assertTrue(l == TrainingSequence.IGNORE || (l >= 0 && l < vocab), label + ": label " + l);
                }
            }
            for (String line : report.toString(StandardCharsets.UTF_8).split("\n")) {
                assertTrue(line.isEmpty() || line.startsWith(file + ":") || line.startsWith("skipped "), label + ": report line " + line);
            }
            return true;
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()), label + ": message does not name the file: " + e.getMessage());
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable e) {
            fail(label + ": unexpected " + e, e);
            return false;
        }
    }
}
