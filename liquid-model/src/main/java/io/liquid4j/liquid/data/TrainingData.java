package io.liquid4j.liquid.data;

import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.TrainingSequence.Task;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                for (int n = 1; (line = in.readLine()) != null; n++) {
                    if (line.isBlank()) continue;
                    String where = file + ":" + n;
                    DataRecord record;
                    try {
                        record = RecordParser.parse(line);
                    } catch (BadRecordException e) {
                        report.println(where + ": " + e.getMessage());
                        skipped++;
                        continue;
                    }
                    out.add(factory.sample(record, f, n, where));
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
