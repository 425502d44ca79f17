package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.fuzz.JsonMutator;
import io.liquid4j.tensor.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzz test of the image-codes files the CLI reads (`vq decode --codes`, `caption --codes`): both
 * kinds, a `vq encode` grid {"height", "width", "codes": [[row], ...]} and an `imagine --codes-out`
 * file {"grid": [rows, cols], "codes": [[...], ...]}, mutated 800 times each (JsonMutator: bit
 * flips, truncation, bad UTF-8, type confusion, huge and negative numbers, deep nesting, ...).
 * Every read either returns codes that are ints in the JSON's own values, or throws an
 * IllegalArgumentException (JsonException for broken JSON) naming the file — never another exception.
 */
class CodesFileFuzzTest {
    @TempDir Path tmp;

    static Map<String, Object> grid() {
        List<Object> rows = new ArrayList<>();
        for (int y = 0; y < 4; y++) {
            List<Object> row = new ArrayList<>();
            for (int x = 0; x < 5; x++) row.add((long) (y * 5 + x) * 37 % 256);
            rows.add(row);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("height", 4L);
        m.put("width", 5L);
        m.put("codes", rows);
        return m;
    }

    static Map<String, Object> imagine() {
        List<Object> images = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            List<Object> codes = new ArrayList<>();
            for (int c = 0; c < 16; c++) codes.add((long) (c * 11 + i) % 8192);
            images.add(codes);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grid", List.of(4L, 4L));
        m.put("codes", images);
        return m;
    }

    @Test
    void mutatedCodesFilesGiveCodesOrOneClearError() throws Exception {
        Random rnd = new Random(13);
        Path f = tmp.resolve("codes.json");
        int ok = 0, rejected = 0;
        for (Map<String, Object> tree : List.of(grid(), imagine())) {
            for (int i = 0; i < 800; i++) {
                StringBuilder how = new StringBuilder();
                Files.write(f, JsonMutator.mutate(rnd, tree, how));
                try {
                    ImageCodesFile.readFirst(f);
                    ok++;
                } catch (IllegalArgumentException e) {   // JsonException included
                    assertTrue(e.getMessage() != null && e.getMessage().contains(f.toString()), "error names the file: " + e.getMessage() + " (" + how + ")");
                    rejected++;
                } catch (Throwable t) {
                    fail("mutation '" + how + "' of " + Json.write(tree).substring(0, 20) + "...: " + t, t);
                }
            }
        }
        assertTrue(ok > 50 && rejected > 50, "both outcomes exercised: " + ok + " read, " + rejected + " rejected");
    }
}
