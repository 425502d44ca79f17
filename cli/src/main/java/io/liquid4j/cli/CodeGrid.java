package io.liquid4j.cli;

import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A raster-order grid of VQGAN codes and its JSON file form {"height": h, "width": w, "codes": [[row], ...]}. */
record CodeGrid(int height, int width, long[] codes) {
    static CodeGrid of(Tensor codes) {
        if (codes.dim() != 3 || codes.size(0) != 1) throw new IllegalArgumentException("expected codes [1, H, W], got " + codes.describe());
        return new CodeGrid(codes.size(1), codes.size(2), codes.toLongArray());
    }

    Tensor toTensor() { return Tensor.fromArray(codes.clone(), 1, height, width); }

    /** Rows of space-separated codes, one line per grid row. */
    String text() {
        StringBuilder b = new StringBuilder();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) b.append(x == 0 ? "" : " ").append(codes[y * width + x]);
            b.append('\n');
        }
        return b.toString();
    }

    String json() {
        List<Object> rows = new ArrayList<>();
        for (int y = 0; y < height; y++) {
            List<Object> row = new ArrayList<>();
            for (int x = 0; x < width; x++) row.add(codes[y * width + x]);
            rows.add(row);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("height", height);
        m.put("width", width);
        m.put("codes", rows);
        return Json.write(m);
    }

    void write(Path file) {
        try {
            Files.writeString(file, json() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write codes: " + e.getMessage(), e);
        }
    }

    static CodeGrid read(Path file) {
        Object v;
        try {
            v = Json.parseFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read codes: " + e.getMessage(), e);
        }
        if (!(v instanceof Map<?, ?> m) || !(m.get("codes") instanceof List<?> rows) || rows.isEmpty()) {
            throw new IllegalArgumentException(file + ": expected {\"codes\": [[...], ...]} with at least one row");
        }
        int h = rows.size(), w = -1;
        long[] codes = null;
        for (int y = 0; y < h; y++) {
            if (!(rows.get(y) instanceof List<?> row)) throw new IllegalArgumentException(file + ": codes row " + y + " is not a list");
            if (w < 0) {
                w = row.size();
                codes = new long[h * w];
            }
            if (row.size() != w || w == 0) throw new IllegalArgumentException(file + ": codes row " + y + " has " + row.size() + " entries, row 0 has " + w);
            for (int x = 0; x < w; x++) {
                if (!(row.get(x) instanceof Long c)) throw new IllegalArgumentException(file + ": code at row " + y + ", column " + x + " is not an integer");
                if (c < 0 || c > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(file + ": code at row " + y + ", column " + x + " is " + c + ", not a code id (0 .. " + Integer.MAX_VALUE + ")");
                }
                codes[y * w + x] = c;
            }
        }
        // "height"/"width" are optional (we write them); when given they must describe the rows
        checkDimension(file, m, "height", h);
        checkDimension(file, m, "width", w);
        return new CodeGrid(h, w, codes);
    }

    private static void checkDimension(Path file, Map<?, ?> m, String key, int actual) {
        if (!m.containsKey(key)) return;
        if (!(m.get(key) instanceof Long v) || v != actual) {
            throw new IllegalArgumentException(file + ": \"" + key + "\" is " + m.get(key) + " but the codes have " + actual
                    + (key.equals("height") ? " rows" : " columns"));
        }
    }
}
