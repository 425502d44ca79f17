package io.liquid4j.convert;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How every conversion writes its output: an existing output (a file, or a non-empty directory)
 * is replaced only with {@code --force}; a directory is built under the temporary sibling
 * {@code NAME.tmp-PID} and renamed when complete (the old one, with --force, moved aside to
 * {@code NAME.old-PID} and deleted only then); and before that, temporary siblings of this
 * naming whose process is no longer alive (an interrupted earlier run, possibly hundreds of MB)
 * are removed from the target's directory, with a note saying what went.
 */
final class ConversionOutput {
    private ConversionOutput() {}

    /** Our own temporary names: {@code NAME.tmp-PID} (files and directories) and {@code NAME.old-PID} (a replaced directory). */
    static final Pattern TEMP = Pattern.compile("(.+)\\.(tmp|old)-(\\d+)");

    /** A directory build step that may throw IOException. */
    interface Build<T> {
        T into(Path dir) throws IOException;
    }

    /**
     * Refuses an existing output without force (a file, or a directory that is not empty) and
     * removes stale temporaries beside it. option names the output in the error ("--out", "OUT").
     */
    static void claim(Path out, boolean force, String option, PrintStream log) {
        if (Files.exists(out) && !force && !isEmptyDirectory(out)) {
            throw new ConversionException(out, "already exists" + (Files.isDirectory(out) ? " and is not empty" : "")
                    + ": give --force to replace it (" + option + "; the old one is replaced only once the new one is complete)");
        }
        removeStaleTemps(out.toAbsolutePath().normalize().getParent(), log);
    }

    /** Builds a directory at out through a temporary sibling; see the class comment. */
    static <T> T writeDirectory(Path out, boolean force, String option, PrintStream log, Build<T> build) {
        claim(out, force, option, log);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ConversionException(out, "is a file; " + option + " must name a directory");
        }
        Path abs = out.toAbsolutePath().normalize();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            T result = build.into(tmp);
            publish(tmp, abs);
            return result;
        } catch (IOException e) {
            throw new ConversionException(out, "cannot write: " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the next run's stale-temp sweep removes it
            }
        }
    }

    private static void publish(Path tmp, Path out) throws IOException {
        if (!Files.exists(out)) {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Path old = out.resolveSibling(out.getFileName() + ".old-" + ProcessHandle.current().pid());
        deleteTree(old);
        Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /**
     * Deletes the entries of dir named like our temporaries whose process is gone, and says so
     * on log. Anything else, and temporaries of live processes (a concurrent conversion), stays.
     */
    static List<Path> removeStaleTemps(Path dir, PrintStream log) {
        List<Path> removed = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) return removed;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(3));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                long bytes = size(p);
                deleteTree(p);
                removed.add(p);
                if (log != null) {
                    log.printf("note: removed %s (%,d bytes) left by an interrupted conversion (process %d is gone)%n", p, bytes, pid);
                }
            }
        } catch (IOException e) {
            if (log != null) log.println("note: could not clean up old temporary files in " + dir + ": " + e.getMessage());
        }
        return removed;
    }

    static boolean isEmptyDirectory(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": " + e.getMessage(), e);
        }
    }

    private static long size(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        try (Stream<Path> s = Files.walk(p)) {
            long total = 0;
            for (Path q : s.toList()) if (Files.isRegularFile(q)) total += Files.size(q);
            return total;
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(p);
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
