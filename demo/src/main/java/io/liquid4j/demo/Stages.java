package io.liquid4j.demo;

import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;

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
    /** Where a stage run side by side with another writes its console output. */
    static final String CONSOLE = "console.log";

    private final Path root;
    private String chain;
    private final PrintStream log;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Map<String, Boolean> reused = new LinkedHashMap<>();
    private final Map<String, Double> overlap = new LinkedHashMap<>();
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
        Planned p = plan(name, title, settings);
        if (p.done != null) return reuse(p);
        log.printf(Locale.ROOT, "[%d/%d] %s%n", p.index, total, title);
        return execute(p, body, log);
    }

    /**
     * Runs (or reuses) two stages that do not depend on each other, a before b in the chain of
     * fingerprints. When both must run and sideBySide is set, b runs on a thread of its own at the
     * same time as a, the CPU kernels limited to one thread each until one of them finishes, and
     * what b prints goes to console.log in b's directory. Neither stage's training makes much of a
     * second core (BENCHMARKS.md, "Two stages side by side"), so the pair takes less wall time
     * than one after the other; the kernels' bits do not depend on the threads, so the results do
     * not either. The time both ran at once is recorded ({@link #overlap()}) so a total counts it once.
     */
    List<Map<String, Object>> runSideBySide(String nameA, String titleA, String settingsA, Body a,
                                            String nameB, String titleB, String settingsB, Body b, boolean sideBySide) throws IOException {
        Planned pa = plan(nameA, titleA, settingsA), pb = plan(nameB, titleB, settingsB);
        if (!sideBySide || pa.done != null || pb.done != null) {
            Map<String, Object> ra = pa.done != null ? reuse(pa) : runPlanned(pa, a);
            Map<String, Object> rb = pb.done != null ? reuse(pb) : runPlanned(pb, b);
            if (pa.done == null) {
                synchronized (this) {
                    overlap.remove(nameB);      // b's recorded overlap was with a run of a that is gone
                }
            }
            return List.of(ra, rb);
        }
        log.printf(Locale.ROOT, "[%d/%d] %s%n", pa.index, total, titleA);
        log.printf(Locale.ROOT, "[%d/%d] %s: side by side with %s, one thread each until one finishes (its output: %s)%n",
                pb.index, total, titleB, nameA, pb.dir.resolve(CONSOLE));
        long t0 = System.nanoTime();
        int threads = Backends.cpuThreads();
        AtomicInteger running = new AtomicInteger(2);
        Runnable finished = () -> {
            if (running.decrementAndGet() == 1) Backends.limitCpuThreads(threads);       // the other one gets every core again
        };
        Backends.limitCpuThreads(1);
        try (SideConsole console = SideConsole.install()) {
            FutureTask<Map<String, Object>> side = new FutureTask<>(() -> {
                try {
                    return execute(pb, dir -> console.toFile(dir.resolve(CONSOLE), () -> b.run(dir)), null);
                } finally {
                    finished.run();
                }
            });
            Thread thread = new Thread(side, "demo-" + nameB);
            thread.start();
            Map<String, Object> ra;
            try {
                ra = execute(pa, a, log);
            } finally {
                finished.run();
                joinQuietly(thread);
            }
            Map<String, Object> rb = result(side);
            double wall = (System.nanoTime() - t0) / 1e9;
            double sa, sb;
            synchronized (this) {
                sa = seconds.get(nameA);
                sb = seconds.get(nameB);
                overlap.put(nameB, Math.max(0, sa + sb - wall));
            }
            rewriteMarker(pb, Math.max(0, sa + sb - wall));
            log.printf(Locale.ROOT, "      %s done in %.1f s; the two took %.1f s side by side%n", nameB, sb, wall);
            return List.of(ra, rb);
        } finally {
            Backends.limitCpuThreads(threads);
        }
    }

    /** Runs a planned stage with its header, on its own (no other stage at the same time). */
    private Map<String, Object> runPlanned(Planned p, Body body) throws IOException {
        log.printf(Locale.ROOT, "[%d/%d] %s%n", p.index, total, p.title);
        return execute(p, body, log);
    }

    /** A stage placed in the chain: its fingerprint, and its results when a finished run with that fingerprint is on disk. */
    private record Planned(int index, String name, String title, String fingerprint, Path dir, Map<String, Object> done) {}

    private Planned plan(String name, String title, String settings) {
        index++;
        String fingerprint = chain + " | " + name + ": " + settings;
        chain = fingerprint;
        Path dir = dir(name);
        Map<String, Object> done = read(dir.resolve(MARKER));
        synchronized (this) {
            seconds.put(name, 0.0);        // the report lists stages in chain order, whichever finishes first
        }
        return new Planned(index, name, title, fingerprint, dir, done != null && fingerprint.equals(done.get("fingerprint")) ? done : null);
    }

    private Map<String, Object> reuse(Planned p) {
        double s = ((Number) p.done.get("seconds")).doubleValue();
        synchronized (this) {
            seconds.put(p.name, s);
            reused.put(p.name, true);
            if (p.done.get("overlap_seconds") instanceof Number o) overlap.put(p.name, o.doubleValue());
        }
        log.printf(Locale.ROOT, "[%d/%d] %s: reused from %s (took %.1f s when it ran; --fresh redoes it)%n", p.index, total, p.title, p.dir, s);
        @SuppressWarnings("unchecked") Map<String, Object> results = (Map<String, Object>) p.done.get("results");
        return results;
    }

    /** Runs the stage's body in a fresh directory and writes its marker; prints its time on doneLog unless null. */
    private Map<String, Object> execute(Planned p, Body body, PrintStream doneLog) throws IOException {
        RunDirectory.deleteTree(p.dir);
        Files.createDirectories(p.dir);
        long t0 = System.nanoTime();
        Map<String, Object> results = body.run(p.dir);
        double s = (System.nanoTime() - t0) / 1e9;
        synchronized (this) {
            seconds.put(p.name, s);
            reused.put(p.name, false);
        }
        writeMarker(p, s, results, null);
        if (doneLog != null) doneLog.printf(Locale.ROOT, "      done in %.1f s%n", s);
        return results;
    }

    private static void writeMarker(Planned p, double seconds, Map<String, Object> results, Double overlapSeconds) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fingerprint", p.fingerprint);
        m.put("seconds", seconds);
        if (overlapSeconds != null) m.put("overlap_seconds", overlapSeconds);
        m.put("results", results);
        Path tmp = p.dir.resolve(MARKER + ".tmp");
        Files.writeString(tmp, Json.write(m) + "\n");
        Files.move(tmp, p.dir.resolve(MARKER), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Adds the seconds a stage ran side by side with another to its marker. */
    private void rewriteMarker(Planned p, double overlapSeconds) throws IOException {
        Map<String, Object> m = read(p.dir.resolve(MARKER));
        if (m == null) throw new IOException(p.dir.resolve(MARKER) + ": the marker of the stage that just finished cannot be read");
        @SuppressWarnings("unchecked") Map<String, Object> results = (Map<String, Object>) m.get("results");
        writeMarker(p, ((Number) m.get("seconds")).doubleValue(), results, overlapSeconds);
    }

    private static Map<String, Object> result(FutureTask<Map<String, Object>> task) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a stage", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error er) throw er;
            throw new IOException(c);
        }
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Seconds each stage ran side by side with the one before it (counted twice in {@link #seconds()}). */
    synchronized Map<String, Double> overlap() { return new LinkedHashMap<>(overlap); }

    /** Wall time of every stage run or reused so far, in order. */
    synchronized Map<String, Double> seconds() { return new LinkedHashMap<>(seconds); }

    synchronized boolean reused(String name) { return reused.getOrDefault(name, false); }

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
