package io.liquid4j.liquid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.TrainingSequence.Task;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSONL records to sequences on the tiny character-level tokenizer (space 7, a 8, b 9, …; BOS 2, EOS 1). */
class TrainingDataTest {
    private static final int CODES = 16, I = -100;
    @TempDir Path tmp;
    private SequenceBuilder builder;
    private final ByteArrayOutputStream report = new ByteArrayOutputStream();

    @BeforeEach
    void tokenizer() throws IOException {
        TinyLiquidModel.writeTokenizer(tmp);
        builder = new SequenceBuilder(Tokenizer.load(tmp), TinyLiquidModel.TEXT_VOCAB, CODES, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND);
    }

    private Path file(String name, String... lines) throws IOException {
        return Files.writeString(tmp.resolve(name), String.join("\n", lines) + "\n");
    }

    private TrainingData load(DataOptions opts, Path... files) throws IOException {
        return TrainingData.load(List.of(files), builder, opts, new PrintStream(report, true));
    }

    private static DataOptions opts(double t2i, double uncond) { return new DataOptions(t2i, uncond, 5, 4096, false, CODES); }

    @Test
    void textRecordHasBosAndEveryTokenCounted() throws IOException {
        TrainingData d = load(opts(0.5, 0.1), file("t.jsonl", "{\"text\": \"ab\"}"));
        assertEquals(1, d.size());
        assertArrayEquals(new int[] {2, 8, 9}, d.get(0).inputIds());
        assertArrayEquals(new int[] {2, 8, 9}, d.get(0).labels());
        assertEquals(Task.TEXT, d.get(0).task());
    }

    @Test
    void pairRecordsAreDrawnWithTheirOwnSeededRng() throws IOException {
        Path f = file("p.jsonl", "{\"caption\": \"ab\", \"codes\": [0, 3, 15]}", "", "{\"caption\": \"c\", \"codes\": [1, 2]}");
        TrainingData t2i = load(opts(1, 0), f);
        assertEquals(Task.T2I, t2i.get(0).task());
        int[] codes = {0, 3, 15};
        TrainingSequence want = builder.imagePair("ab", codes, 1, 0, SampleFactory.recordRng(5, 0, 1));
        assertArrayEquals(want.inputIds(), t2i.get(0).inputIds());
        assertArrayEquals(want.labels(), t2i.get(0).labels());
        TrainingSequence second = builder.imagePair("c", new int[] {1, 2}, 1, 0, SampleFactory.recordRng(5, 0, 3));
        assertArrayEquals(second.inputIds(), t2i.get(1).inputIds(), "line 3: blank line 2 is skipped but still numbered");

        TrainingData cap = load(opts(0, 0), f);
        assertEquals(Task.CAPTION, cap.get(0).task());
        assertArrayEquals(builder.caption(codes, "ab").inputIds(), cap.get(0).inputIds());
        assertArrayEquals(builder.caption(codes, "ab").labels(), cap.get(0).labels());
        assertEquals(0, cap.skippedLines());
    }

    @Test
    void drawsDoNotDependOnWhatWasLoadedBefore() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) lines.append("{\"caption\": \"ab\", \"codes\": [").append(i % CODES).append("]}\n");
        Path pairs = Files.writeString(tmp.resolve("pairs.jsonl"), lines);
        Path other = file("other.jsonl", "{\"text\": \"x\"}");
        TrainingData alone = load(opts(0.5, 0.5), pairs);
        TrainingData after = load(opts(0.5, 0.5), other, pairs);
        TrainingData first = load(opts(0.5, 0.5), pairs, other);
        int[] tasks = new int[3];
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(alone.get(i).inputIds(), first.get(i).inputIds());
            tasks[alone.get(i).task().ordinal()]++;
        }
        assertTrue(tasks[Task.T2I.ordinal()] > 5 && tasks[Task.CAPTION.ordinal()] > 5, "both tasks drawn: " + java.util.Arrays.toString(tasks));
        boolean differs = false;
        for (int i = 0; i < 40; i++) differs |= !java.util.Arrays.equals(alone.get(i).inputIds(), after.get(i + 1).inputIds());
        assertTrue(differs, "the file index is part of the seed");
        assertEquals(40, after.taskCounts().get(Task.T2I) + after.taskCounts().get(Task.CAPTION));
        assertEquals(1, after.taskCounts().get(Task.TEXT));
    }

    @Test
    void builtRecordsAreTakenAsTheyAre() throws IOException {
        TrainingData d = load(opts(0.5, 0.1), file("b.jsonl",
                "{\"input_ids\": [2, 8, 9], \"labels\": [-100, 8, 9]}",
                "{\"input_ids\": [2, 4, 40, 5], \"labels\": [-100, -100, 40, 5], \"task\": \"t2i\"}",
                "{\"input_ids\": [2, 3], \"labels\": [2, 3], \"task\": \"caption\"}"));
        assertArrayEquals(new int[] {2, 8, 9}, d.get(0).inputIds());
        assertArrayEquals(new int[] {I, 8, 9}, d.get(0).labels());
        assertEquals(Task.TEXT, d.get(0).task());
        assertEquals(Task.T2I, d.get(1).task());
        assertEquals(Task.CAPTION, d.get(2).task());
        assertEquals(1, d.taskCounts().get(Task.T2I));
    }

    @Test
    void corruptLinesAreReportedOnceWithFileAndLineAndSkipped() throws IOException {
        Path f = file("bad.jsonl",
                "{\"text\": \"a\"}",
                "{\"text\": ",
                "[1, 2]",
                "{\"text\": 5}",
                "   ",
                "{\"caption\": \"a\"}",
                "{\"caption\": \"a\", \"codes\": [1, \"x\"]}",
                "{\"input_ids\": [1, 2], \"labels\": [1]}",
                "{\"input_ids\": [1], \"labels\": [1], \"task\": \"vqa\"}",
                "{\"text\": \"b\"}");
        TrainingData d = load(opts(0.5, 0.1), f);
        assertEquals(2, d.size());
        assertEquals(7, d.skippedLines());
        String out = report.toString();
        for (int line : new int[] {2, 3, 4, 6, 7, 8, 9}) {
            assertEquals(1, out.lines().filter(l -> l.startsWith(f + ":" + line + ": ")).count(), "line " + line + " reported once:\n" + out);
        }
        assertTrue(out.contains(f + ":4: \"text\" must be a string"), out);
        assertTrue(out.contains(f + ":8: \"labels\" has 1 entries but \"input_ids\" 2"), out);
        assertTrue(!out.contains(f + ":5:"), "blank lines are not corrupt");
    }

    @Test
    void codesOutOfRangeImagesAndOverlongSequencesAreErrors() throws IOException {
        Path codes = file("c.jsonl", "{\"text\": \"a\"}", "{\"caption\": \"a\", \"codes\": [1, 16]}");
        var e = assertThrows(IllegalArgumentException.class, () -> load(opts(0.5, 0.1), codes));
        assertTrue(e.getMessage().startsWith(codes + ":2: image code 16"), e.getMessage());

        Path image = file("i.jsonl", "{\"caption\": \"a\", \"image\": \"x.png\"}");
        e = assertThrows(IllegalArgumentException.class, () -> load(opts(0.5, 0.1), image));
        assertTrue(e.getMessage().startsWith(image + ":1:") && e.getMessage().contains("liquid prepare"), e.getMessage());

        Path longText = file("l.jsonl", "{\"text\": \"abcdefgh\"}", "{\"text\": \"ab\"}");
        e = assertThrows(IllegalArgumentException.class, () -> load(new DataOptions(0.5, 0.1, 0, 5, false, CODES), longText));
        assertTrue(e.getMessage().startsWith(longText + ":1: the sequence has 9 tokens, more than the context length 5"), e.getMessage());
        TrainingData cut = load(new DataOptions(0.5, 0.1, 0, 5, true, CODES), longText);
        assertArrayEquals(new int[] {2, 8, 9, 10, 11}, cut.get(0).inputIds());
        assertEquals(5, cut.get(0).labels().length);
        assertEquals(1, cut.truncatedSequences());
        assertArrayEquals(new int[] {2, 8, 9}, cut.get(1).inputIds());
    }

    /** LiquidFilesFuzzTest find: a line that is not UTF-8 ended the load with a MalformedInputException naming no file or line. */
    @Test
    void invalidUtf8LineIsReportedAndSkipped() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        byte[] good = "{\"text\": \"ab\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, '"', '}', '\r', '\n'};
        Files.write(f, concat(good, bad, good));
        TrainingData d = load(opts(0.5, 0.1), f);
        assertEquals(2, d.size());
        assertEquals(1, d.skippedLines());
        assertTrue(report.toString().contains(f + ":2: not valid UTF-8 (byte 0xC3 at byte 10 of the line)"), report.toString());
    }

    /** LiquidFilesFuzzTest find: built records' ids and labels were not checked against the vocabulary (an index error mid-training). */
    @Test
    void builtIdsAndLabelsMustBeIdsOfTheModel() throws IOException {
        int vocab = TinyLiquidModel.TEXT_VOCAB + CODES;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load(opts(0.5, 0.1), file("ids.jsonl", "{\"input_ids\": [2, " + vocab + "], \"labels\": [2, 8]}")));
        assertTrue(e.getMessage().endsWith("ids.jsonl:1: \"input_ids\"[1] is " + vocab + ", outside the model's ids [0, " + vocab + ")"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> load(opts(0.5, 0.1), file("labels.jsonl", "{\"input_ids\": [2, 8], \"labels\": [-1, 8]}")));
        assertTrue(e.getMessage().endsWith("labels.jsonl:1: \"labels\"[0] is -1, neither -100 (not counted) nor an id in [0, " + vocab + ")"), e.getMessage());
        assertEquals(1, load(opts(0.5, 0.1), file("ok.jsonl", "{\"input_ids\": [2, " + (vocab - 1) + "], \"labels\": [-100, 8]}")).size());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
