package io.liquid4j.liquid.data;

import io.liquid4j.image.RgbImage;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * complete lines of OUT.partial, or of an existing OUT, and continues after them. Lines are
 * handled in chunks whose images the VQGAN encodes as one batch; each chunk is written and
 * flushed whole, so an interrupted run loses at most the chunk in progress.
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
            Chunk chunk = new Chunk(writer, progress);
            while (true) {
                String line;
                try {
                    line = reader.next();
                    if (line == null) break;
                    n = reader.lineNumber();
                    if (n <= resumed) continue;
                    chunk.add(line.isBlank() ? Pending.done(n, "") : prepareLine(line, base, n, in + ":" + n));
                } catch (BadRecordException e) { // not UTF-8: it cannot be copied through, so it is reported here and left empty
                    n = reader.lineNumber();
                    if (n <= resumed) continue;
                    report.println(in + ":" + n + ": " + e.getMessage());
                    skipped++;
                    chunk.add(Pending.done(n, ""));
                }
                if (chunk.images.size() >= encoder.batchSize() || chunk.lines.size() >= MAX_CHUNK_LINES) chunk.finish();
            }
            chunk.finish();
        }
        if (resumed > n) throw new IllegalStateException(partial + " has " + resumed + " lines but " + in + " only " + n + ": it was made from another input (delete it to start over)");
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(n, resumed, encoded, dropped, skipped);
    }

    /** One non-blank input line: its output line, or its loaded image waiting for the chunk's batch. */
    private Pending prepareLine(String line, Path base, int n, String where) {
        DataRecord record;
        try {
            record = RecordParser.parse(line);
        } catch (BadRecordException e) {
            if (build == null) return Pending.done(n, line); // copied through: training reports it, on the same line number
            report.println(where + ": " + e.getMessage());
            skipped++;
            return Pending.done(n, "");
        }
        if (record instanceof DataRecord.Image image) {
            RgbImage square;
            try {
                square = encoder.load(base.resolve(image.image()));
            } catch (IllegalArgumentException e) {
                report.println(where + ": " + e.getMessage());
                skipped++;
                return Pending.done(n, "");
            }
            if (square == null) {
                dropped++;
                return Pending.done(n, "");
            }
            return new Pending(n, where, null, image.caption(), square);
        }
        return Pending.done(n, build != null ? builtLine(build.sample(record, 0, n, where)) : line);
    }

    /** Lines handled in one go: at most {@link #MAX_CHUNK_LINES}, whose images are encoded as one batch. */
    private static final int MAX_CHUNK_LINES = 1024;

    /** An input line on its way out: {@code line} when finished, else a caption and its image to encode. */
    private record Pending(int n, String where, String line, String caption, RgbImage image) {
        static Pending done(int n, String line) { return new Pending(n, null, line, null, null); }
    }

    /** The lines read since the last write, in input order, and the images among them. */
    private final class Chunk {
        final List<Pending> lines = new ArrayList<>();
        final List<RgbImage> images = new ArrayList<>();
        private final BufferedWriter writer;
        private final IntConsumer progress;

        Chunk(BufferedWriter writer, IntConsumer progress) {
            this.writer = writer;
            this.progress = progress;
        }

        void add(Pending p) {
            lines.add(p);
            if (p.image() != null) images.add(p.image());
        }

        /** Encodes the images, writes every line in order and flushes: a rerun continues after the last complete line. */
        void finish() throws IOException {
            if (lines.isEmpty()) return;
            int[][] codes = images.isEmpty() ? new int[0][] : encoder.encodeAll(images);
            int next = 0;
            for (Pending p : lines) {
                String out = p.line();
                if (out == null) {
                    DataRecord.Pair pair = new DataRecord.Pair(p.caption(), codes[next++]);
                    encoded++;
                    out = build == null ? pairLine(pair) : builtLine(build.sample(pair, 0, p.n(), p.where()));
                }
                writer.write(out);
                writer.write('\n');
            }
            writer.flush();
            progress.accept(lines.get(lines.size() - 1).n());
            lines.clear();
            images.clear();
        }
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
