package io.liquid4j.cli;

import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** File helpers the commands (and the demo) share: JSONL fields with file:line errors, new directories written atomically. */
public final class CliFiles {
    private CliFiles() {}

    /** The contents of a new directory, written into a temporary sibling. */
    @FunctionalInterface
    interface DirectoryBody {
        void write(Path dir) throws IOException;
    }

    /**
     * Creates {@code out} (which must not exist, or be an empty directory) by writing everything
     * into a temporary sibling and renaming it at the end, so a failure or an interruption never
     * leaves a half-written model directory where a complete one is expected.
     */
    static void writeDirectory(Path out, DirectoryBody body) throws IOException {
        if (Files.exists(out) && !isEmptyDirectory(out)) throw new IllegalArgumentException("--out " + out + " already exists: choose a new directory");
        Path tmp = out.toAbsolutePath().resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        RunDirectory.deleteTree(tmp);
        Files.createDirectories(tmp);
        try {
            body.write(tmp);
            if (Files.isDirectory(out)) Files.delete(out);
            Files.move(tmp, out);
        } finally {
            RunDirectory.deleteTree(tmp);
        }
    }

    /**
     * The string field {@code key} of every record of a JSONL file (blank lines skipped); a line
     * that is not a JSON object with that string field is an error naming file:line.
     */
    public static List<String> strings(Path file, String key) throws IOException {
        List<String> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            Object rec;
            try {
                rec = Json.parse(line);
            } catch (JsonException e) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": not JSON: " + e.getMessage());
            }
            if (!(rec instanceof Map<?, ?> m) || !(m.get(key) instanceof String value)) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": expected a record with a \"" + key + "\" string");
            }
            out.add(value);
        }
        return out;
    }

    /** Whether dir is a directory with nothing in it. */
    static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
