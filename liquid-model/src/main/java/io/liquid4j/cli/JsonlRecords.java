package io.liquid4j.cli;

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

/** Small file helpers the commands share: JSONL records with file:line errors, empty-directory checks. */
final class JsonlRecords {
    private JsonlRecords() {}

    /**
     * The string field {@code key} of every record of a JSONL file (blank lines skipped); a line
     * that is not a JSON object with that string field is an error naming file:line.
     */
    static List<String> strings(Path file, String key) throws IOException {
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
