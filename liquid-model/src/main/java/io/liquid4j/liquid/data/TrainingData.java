package io.liquid4j.liquid.data;

import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.TrainingSequence.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The training sequences of some JSONL files, in file order, one per record. Blank lines are
 * skipped silently; corrupt lines (malformed JSON, wrong types, missing keys) are reported once on
 * stderr as "file:line: reason", skipped and counted. Errors that mean the data set itself is
 * wrong (codes out of range, unprepared images, over-long sequences without truncation) stop the
 * load with an exception naming file:line.
 */
public final class TrainingData {
    private final List<TrainingSequence> sequences;
    private final int skipped, truncated;
    private final Map<Task, Integer> taskCounts;

    private TrainingData(List<TrainingSequence> sequences, int skipped, int truncated) {
        this.sequences = List.copyOf(sequences);
        this.skipped = skipped;
        this.truncated = truncated;
        Map<Task, Integer> counts = new EnumMap<>(Task.class);
        for (Task t : Task.values()) counts.put(t, 0);
        for (TrainingSequence s : sequences) counts.merge(s.task(), 1, Integer::sum);
        this.taskCounts = Collections.unmodifiableMap(counts);
    }

    public static TrainingData load(List<Path> files, SequenceBuilder builder, DataOptions options) throws IOException {
        return load(files, builder, options, System.err);
    }

    /** As {@link #load(List, SequenceBuilder, DataOptions)}, reporting corrupt lines to {@code report}. */
    public static TrainingData load(List<Path> files, SequenceBuilder builder, DataOptions options, PrintStream report) throws IOException {
        SampleFactory factory = new SampleFactory(builder, options);
        List<TrainingSequence> out = new ArrayList<>();
        int skipped = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            try (JsonlLines in = new JsonlLines(file)) {
                while (true) {
                    String line;
                    DataRecord record;
                    try {
                        line = in.next();
                        if (line == null) break;
                        if (line.isBlank()) continue;
                        record = RecordParser.parse(line);
                    } catch (BadRecordException e) {
                        String where = file + ":" + in.lineNumber();
                        report.println(where + ": " + e.getMessage());
                        skipped++;
                        continue;
                    }
                    int n = in.lineNumber();
                    out.add(factory.sample(record, f, n, file + ":" + n));
                }
            }
        }
        if (skipped > 0) report.println("skipped " + skipped + " corrupt line" + (skipped == 1 ? "" : "s"));
        if (factory.truncated() > 0) report.println("truncated " + factory.truncated() + " sequences to " + options.maxLength() + " tokens");
        return new TrainingData(out, skipped, factory.truncated());
    }

    /** Data made of sequences already built (tests, other loaders). */
    public static TrainingData of(List<TrainingSequence> sequences) {
        return new TrainingData(sequences, 0, 0);
    }

    public int size() { return sequences.size(); }

    public TrainingSequence get(int i) { return sequences.get(i); }

    /** Corrupt lines skipped while loading. */
    public int skippedLines() { return skipped; }

    /** Sequences cut to the context length (only with truncation on). */
    public int truncatedSequences() { return truncated; }

    /** How many sequences of each task (every task present, 0 when none). */
    public Map<Task, Integer> taskCounts() { return taskCounts; }
}
