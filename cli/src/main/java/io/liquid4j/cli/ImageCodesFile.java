package io.liquid4j.cli;

import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The code files of the Liquid commands: {@code {"grid": [rows, cols], "codes": [[...], ...]}},
 * one flat list of code ids per image (written by `imagine --codes-out`), and, when reading, also
 * the single grid of `vq encode --out` ({@link CodeGrid}).
 */
final class ImageCodesFile {
    private ImageCodesFile() {}

    static void write(Path file, int rows, int cols, int[][] codes) {
        List<Object> images = new ArrayList<>();
        for (int[] img : codes) images.add(Arrays.stream(img).boxed().toList());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grid", List.of(rows, cols));
        m.put("codes", images);
        try {
            Files.writeString(file, Json.write(m) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write codes: " + e.getMessage(), e);
        }
    }

    /** The first image's codes of either kind of file. */
    static int[] readFirst(Path file) throws IOException {
        Object v = Json.parseFile(file);
        if (v instanceof Map<?, ?> m && m.containsKey("grid")) {
            if (!(m.get("codes") instanceof List<?> images) || images.isEmpty() || !(images.getFirst() instanceof List<?> first)) {
                throw new IllegalArgumentException(file + ": \"codes\" must be a non-empty list of code lists");
            }
            int[] out = new int[first.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(first.get(i) instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(file + ": code " + i + " of the first image is " + first.get(i) + ", not a code id (an integer 0 .. "
                            + Integer.MAX_VALUE + ")");
                }
                out[i] = (int) (long) n;
            }
            return out;
        }
        return Arrays.stream(CodeGrid.read(file).codes()).mapToInt(c -> (int) c).toArray();   // read() checked the range
    }
}
