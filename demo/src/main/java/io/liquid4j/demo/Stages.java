package io.liquid4j.demo;

import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's stages and their reuse: each stage writes into its own directory and, when it
 * finished, a {@code .done.json} there with its wall time, its results and its fingerprint: the
 * settings it depends on, chained with the fingerprints of the stages before it. A rerun skips
 * a stage whose marker holds the same fingerprint, so changing, say, the LM's size reruns the LM
 * stages but reuses the data and the VQGAN; an interrupted stage has no marker and runs again
 * from scratch; {@code --fresh} redoes everything.
 */
final class Stages {
    /** The work of one stage: writes into dir, returns the figures the report needs. */
    interface Body {
        Map<String, Object> run(Path dir) throws IOException;
    }

    private static final String MARKER = ".done.json";

    private final Path root;
    private String chain;
    private final PrintStream log;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Map<String, Boolean> reused = new LinkedHashMap<>();
    private int index;
    private final int total;

    /** base: what every stage depends on (e.g. the seed). */
    Stages(Path root, String base, int total, PrintStream log) {
        this.root = root;
        this.chain = base;
        this.total = total;
        this.log = log;
    }

    Path dir(String name) { return root.resolve(name); }

    /** Runs (or reuses) a stage that depends on `settings` (and everything before it), and returns its results. */
    Map<String, Object> run(String name, String title, String settings, Body body) throws IOException {
        index++;
        String fingerprint = chain + " | " + name + ": " + settings;
        chain = fingerprint;
        Path dir = dir(name), marker = dir.resolve(MARKER);
        Map<String, Object> done = read(marker);
        if (done != null && fingerprint.equals(done.get("fingerprint"))) {
            double s = ((Number) done.get("seconds")).doubleValue();
            seconds.put(name, s);
            reused.put(name, true);
            log.printf(Locale.ROOT, "[%d/%d] %s: reused from %s (took %.1f s when it ran; --fresh redoes it)%n", index, total, title, dir, s);
            @SuppressWarnings("unchecked") Map<String, Object> results = (Map<String, Object>) done.get("results");
            return results;
        }
        log.printf(Locale.ROOT, "[%d/%d] %s%n", index, total, title);
        RunDirectory.deleteTree(dir);
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        Map<String, Object> results = body.run(dir);
        double s = (System.nanoTime() - t0) / 1e9;
        seconds.put(name, s);
        reused.put(name, false);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fingerprint", fingerprint);
        m.put("seconds", s);
        m.put("results", results);
        Path tmp = dir.resolve(MARKER + ".tmp");
        Files.writeString(tmp, Json.write(m) + "\n");
        Files.move(tmp, marker, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        log.printf(Locale.ROOT, "      done in %.1f s%n", s);
        return results;
    }

    /** Wall time of every stage run or reused so far, in order. */
    Map<String, Double> seconds() { return seconds; }

    boolean reused(String name) { return reused.getOrDefault(name, false); }

    private static Map<String, Object> read(Path marker) {
        if (!Files.isRegularFile(marker)) return null;
        try {
            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) Json.parseFile(marker);
            return m;
        } catch (IOException | RuntimeException e) {
            return null;      // a damaged marker: the stage runs again
        }
    }

    static void deleteAll(Path root) {
        try {
            RunDirectory.deleteTree(root);
        } catch (IOException e) {
            throw new UncheckedIOException(root + ": cannot delete: " + e.getMessage(), e);
        }
    }
}
