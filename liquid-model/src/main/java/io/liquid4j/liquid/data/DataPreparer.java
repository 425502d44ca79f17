package io.liquid4j.liquid.data;

import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.tensor.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * `liquid prepare`: encodes the pictures of {@code {"caption", "image"}} records to VQGAN codes
 * once, writing {@code {"caption", "codes"}}, and copies other lines through; or, with a
 * {@link SampleFactory} ("--build"), writes every record's built sequence as
 * {@code {"input_ids", "labels", "task"}}.
 *
 * <p>Output line n always comes from input line n: a record that yields nothing (a blank line,
 * an image dropped for its aspect ratio, an unreadable image, a corrupt line when building) is an
 * empty line, which readers skip. So errors found later name the input's line numbers, the
 * per-record draws of a prepared file equal those of `--build`, and a run can resume by counting
 * lines: the output is written to OUT.partial (renamed to OUT at the end), and a rerun keeps the
 * complete lines of OUT.partial, or of an existing OUT, and continues after them.
 */
public final class DataPreparer {
    private final VqImageEncoder encoder;
    private final SampleFactory build;
    private final PrintStream report;
    /** Counts of the run in progress. */
    private int encoded, dropped, skipped;

    /** What a run did. */
    public record Summary(int lines, int resumed, int encoded, int dropped, int skipped) {}

    /**
     * @param build  builds sequences when non-null (--build); null copies records, images encoded
     * @param report where unreadable images and corrupt lines are reported as file:line
     */
    public DataPreparer(VqImageEncoder encoder, SampleFactory build, PrintStream report) {
        this.encoder = encoder;
        this.build = build;
        this.report = report;
    }

    /** The partial output next to {@code out}. */
    public static Path partialOf(Path out) {
        return out.resolveSibling(out.getFileName() + ".partial");
    }

    /** Prepares {@code in} into {@code out}; {@code progress} gets the number of input lines done. */
    public Summary prepare(Path in, Path out, IntConsumer progress) throws IOException {
        Path partial = partialOf(out);
        if (!Files.exists(partial) && Files.exists(out)) Files.copy(out, partial);
        int resumed = Files.exists(partial) ? keepCompleteLines(partial) : 0;
        Path base = in.toAbsolutePath().getParent();
        encoded = dropped = skipped = 0;
        int n = 0;
        try (JsonlLines reader = new JsonlLines(in);
             BufferedWriter writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                String line, done;
                try {
                    line = reader.next();
                    if (line == null) break;
                    n = reader.lineNumber();
                    if (n <= resumed) continue;
                    done = line.isBlank() ? "" : prepareLine(line, base, n, in + ":" + n);
                } catch (BadRecordException e) { // not UTF-8: it cannot be copied through, so it is reported here and left empty
                    n = reader.lineNumber();
                    if (n <= resumed) continue;
                    report.println(in + ":" + n + ": " + e.getMessage());
                    skipped++;
                    done = "";
                }
                writer.write(done);
                writer.write('\n');
                writer.flush(); // a complete line is a finished record: a rerun continues after it
                progress.accept(n);
            }
        }
        if (resumed > n) throw new IllegalStateException(partial + " has " + resumed + " lines but " + in + " only " + n + ": it was made from another input (delete it to start over)");
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(n, resumed, encoded, dropped, skipped);
    }

    /** The output line of one non-blank input line ("" when it yields nothing). */
    private String prepareLine(String line, Path base, int n, String where) {
        DataRecord record;
        try {
            record = RecordParser.parse(line);
        } catch (BadRecordException e) {
            if (build == null) return line; // copied through: training reports it, on the same line number
            report.println(where + ": " + e.getMessage());
            skipped++;
            return "";
        }
        if (record instanceof DataRecord.Image image) {
            DataRecord.Pair pair = encode(image, base, where);
            if (pair == null) return "";
            if (build == null) return pairLine(pair);
            record = pair;
        }
        return build != null ? builtLine(build.sample(record, 0, n, where)) : line;
    }

    /** The image's pair, or null when it is dropped (aspect ratio) or cannot be read (reported). */
    private DataRecord.Pair encode(DataRecord.Image image, Path base, String where) {
        int[] codes;
        try {
            codes = encoder.encode(base.resolve(image.image()));
        } catch (IllegalArgumentException e) {
            report.println(where + ": " + e.getMessage());
            skipped++;
            return null;
        }
        if (codes == null) {
            dropped++;
            return null;
        }
        encoded++;
        return new DataRecord.Pair(image.caption(), codes);
    }

    /** Lines in a text file. */
    public static int countLines(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return Math.toIntExact(lines.count());
        }
    }

    private static String pairLine(DataRecord.Pair p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("caption", p.caption());
        m.put("codes", p.codes());
        return Json.write(m);
    }

    private static String builtLine(TrainingSequence s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input_ids", s.inputIds());
        m.put("labels", s.labels());
        m.put("task", RecordParser.taskName(s.task()));
        return Json.write(m);
    }

    /** Cuts a partial file after its last newline (a line cut off by an interrupted run is redone) and counts its lines. */
    private static int keepCompleteLines(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size(), end = 0;
            int lines = 0;
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            for (long pos = 0; pos < size; ) {
                buf.clear();
                int got = ch.read(buf, pos);
                if (got <= 0) break;
                for (int i = 0; i < got; i++) {
                    if (buf.get(i) == '\n') {
                        lines++;
                        end = pos + i + 1;
                    }
                }
                pos += got;
            }
            ch.truncate(end);
            return lines;
        }
    }
}
