package io.liquid4j.liquid;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import io.liquid4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a Liquid model lays image codes out in its vocabulary (the spec's liquid.json): code
 * {@code c} ∈ [0, imageCodes) is token {@code textVocabSize + c}; {@code boiId}/{@code eoiId}
 * frame an image and {@code unconditionalId} is the classifier-free-guidance prompt. All three
 * are text ids. {@code vqgan} is the VQGAN directory as written in liquid.json (relative to the
 * model directory, or absolute), or null when the model names none.
 */
public record LiquidLayout(int textVocabSize, int imageCodes, int boiId, int eoiId, int unconditionalId,
                           int gridRows, int gridCols, String vqgan) {
    public static final String FILE = "liquid.json";
    /** The most codes one image may take ({@code 1 << 20}: a 1024×1024 grid; an int product beyond this is a typo, not a model). */
    public static final int MAX_TOKENS_PER_IMAGE = 1 << 20;
    /** The image codes of the released Liquid_V1_7B (its VQGAN's codebook size). */
    public static final int RELEASED_IMAGE_CODES = 8192;
    public static final String BOI = "<boi>", EOI = "<eoi>", UNCONDITIONAL = "<unconditional>";

    private static final List<String> KEYS = List.of("text_vocab_size", "image_codes", "boi_id", "eoi_id",
            "unconditional_id", "image_grid", "vqgan");

    public LiquidLayout {
        if (textVocabSize <= 0) throw new IllegalArgumentException("text_vocab_size must be positive, got " + textVocabSize);
        if (imageCodes <= 0) throw new IllegalArgumentException("image_codes must be positive, got " + imageCodes);
        if ((long) textVocabSize + imageCodes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("text_vocab_size + image_codes overflows an int id");
        }
        checkTextId("boi_id", boiId, textVocabSize);
        checkTextId("eoi_id", eoiId, textVocabSize);
        checkTextId("unconditional_id", unconditionalId, textVocabSize);
        if (boiId == eoiId || boiId == unconditionalId || eoiId == unconditionalId) {
            throw new IllegalArgumentException("boi_id, eoi_id and unconditional_id must differ, got " + boiId + ", " + eoiId + ", " + unconditionalId);
        }
        if (gridRows <= 0 || gridCols <= 0) throw new IllegalArgumentException("image_grid must be two positive integers, got [" + gridRows + ", " + gridCols + "]");
        if ((long) gridRows * gridCols > MAX_TOKENS_PER_IMAGE) {
            throw new IllegalArgumentException("image_grid [" + gridRows + ", " + gridCols + "] is " + (long) gridRows * gridCols + " codes per image, more than "
                    + MAX_TOKENS_PER_IMAGE + " (Liquid's 32x32 is 1024)");
        }
    }

    private static void checkTextId(String key, int id, int textVocabSize) {
        if (id < 0 || id >= textVocabSize) {
            throw new IllegalArgumentException(key + " must be a text id in [0, " + textVocabSize + "), got " + id);
        }
    }

    /** The token id of image code {@code code}. */
    public int tokenId(int code) {
        if (code < 0 || code >= imageCodes) throw new IllegalArgumentException("image code " + code + " is outside [0, " + imageCodes + ")");
        return textVocabSize + code;
    }

    /** The image code of a token id, {@code id − textVocabSize} clamped to [0, imageCodes − 1] as the spec says. */
    public int code(int id) {
        return Math.clamp((long) id - textVocabSize, 0, imageCodes - 1);
    }

    public boolean isImageToken(int id) {
        return id >= textVocabSize && id - textVocabSize < imageCodes;
    }

    /** Tokens per image: rows × columns of the code grid. */
    public int tokensPerImage() {
        return gridRows * gridCols;
    }

    /** Every id the model's head scores: text and image codes. */
    public int totalVocabSize() {
        return textVocabSize + imageCodes;
    }

    /** The VQGAN directory resolved against the model directory, or null when there is none. */
    public Path vqganDir(Path modelDir) {
        return vqgan == null ? null : modelDir.resolve(vqgan);
    }

    /**
     * The layout of {@code modelDir}: its liquid.json, or, without one, the released
     * Liquid_V1_7B layout when the directory is one (config vocab_size = tokenizer size + 8192
     * and the tokenizer has &lt;boi&gt;/&lt;eoi&gt;/&lt;unconditional&gt;; the ids come from the tokenizer,
     * the grid is 32×32, and vqgan is "vqgan" when that subdirectory exists, null otherwise).
     *
     * @throws LiquidLayoutException naming the file and key at fault, or "not a Liquid model"
     */
    public static LiquidLayout load(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (Files.isRegularFile(file)) return read(file);
        return detectReleased(modelDir);
    }

    /**
     * Whether {@code modelDir} is a Liquid model ({@link #load} would succeed) rather than a
     * plain text LM: it has a liquid.json (which {@link #load} then checks), or it is the
     * released layout.
     */
    public static boolean isLiquid(Path modelDir) {
        if (Files.isRegularFile(modelDir.resolve(FILE))) return true;
        try {
            detectReleased(modelDir);
            return true;
        } catch (LiquidLayoutException | UncheckedIOException e) {
            return false;
        }
    }

    /** Reads one liquid.json: every key of the spec, no other. */
    public static LiquidLayout read(Path file) {
        Object parsed;
        try {
            parsed = Json.parseFile(file);
        } catch (JsonException e) {
            throw new LiquidLayoutException(e.getMessage(), e);
        } catch (IOException e) {
            throw new LiquidLayoutException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> json)) throw new LiquidLayoutException(file + ": the top level must be a JSON object");
        for (Object key : json.keySet()) {
            if (!KEYS.contains(key)) throw new LiquidLayoutException(file + ": unknown key \"" + key + "\" (expected " + String.join(", ", KEYS) + ")");
        }
        for (String key : KEYS) {
            if (!json.containsKey(key)) throw new LiquidLayoutException(file + ": missing key \"" + key + "\"");
        }
        int[] grid = grid(file, json.get("image_grid"));
        Object vq = json.get("vqgan");
        if (vq != Json.NULL && !(vq instanceof String s && !s.isEmpty())) {
            throw new LiquidLayoutException(file + ": \"vqgan\" must be a directory path or null, got " + Json.typeName(vq));
        }
        if (vq instanceof String s) {
            try {
                Path.of(s);   // a NUL or another character the file system refuses would fail only when the VQGAN is loaded
            } catch (InvalidPathException e) {
                throw new LiquidLayoutException(file + ": \"vqgan\" is not a usable path: " + e.getMessage(), e);
            }
        }
        int text = integer(file, json, "text_vocab_size"), codes = integer(file, json, "image_codes");
        int boi = integer(file, json, "boi_id"), eoi = integer(file, json, "eoi_id"), uncond = integer(file, json, "unconditional_id");
        try {
            return new LiquidLayout(text, codes, boi, eoi, uncond, grid[0], grid[1], vq == Json.NULL ? null : (String) vq);
        } catch (IllegalArgumentException e) {
            throw new LiquidLayoutException(file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(Path file, Map<?, ?> json, String key) {
        if (json.get(key) instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) (long) l;
        throw new LiquidLayoutException(file + ": \"" + key + "\" must be an integer, got " + Json.typeName(json.get(key)) + " " + json.get(key));
    }

    private static int[] grid(Path file, Object v) {
        if (v instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Long r && l.get(1) instanceof Long c
                && r > 0 && c > 0 && r <= Integer.MAX_VALUE && c <= Integer.MAX_VALUE) {
            return new int[] {(int) (long) r, (int) (long) c};
        }
        throw new LiquidLayoutException(file + ": \"image_grid\" must be [rows, columns] of positive integers, got " + v);
    }

    private static LiquidLayout detectReleased(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) throw notLiquid(modelDir, "no " + FILE + " and no config.json");
        Object vocab;
        try {
            vocab = Json.parseFile(config) instanceof Map<?, ?> m ? m.get("vocab_size") : null;
        } catch (JsonException e) {
            throw new LiquidLayoutException(e.getMessage(), e);
        } catch (IOException e) {
            throw new LiquidLayoutException(config + ": cannot read: " + e.getMessage(), e);
        }
        if (!(vocab instanceof Long vocabSize)) throw notLiquid(modelDir, "no " + FILE + " and config.json has no integer vocab_size");
        Tokenizer tok;
        try {
            tok = Tokenizer.load(modelDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw notLiquid(modelDir, "no " + FILE + " and no readable tokenizer (" + e.getMessage() + ")");
        }
        int text = tok.vocabSize();
        int boi = tok.tokenToId(BOI), eoi = tok.tokenToId(EOI), uncond = tok.tokenToId(UNCONDITIONAL);
        if (vocabSize != (long) text + RELEASED_IMAGE_CODES || boi < 0 || eoi < 0 || uncond < 0) {
            throw notLiquid(modelDir, "no " + FILE + ", and config.json vocab_size " + vocabSize + " is not the tokenizer's "
                    + text + " + " + RELEASED_IMAGE_CODES + " or the tokenizer lacks " + BOI + "/" + EOI + "/" + UNCONDITIONAL
                    + " (run `liquid convert-weights extend-vocab` to make one)");
        }
        String vq = Files.isDirectory(modelDir.resolve("vqgan")) ? "vqgan" : null;
        return new LiquidLayout(text, RELEASED_IMAGE_CODES, boi, eoi, uncond, 32, 32, vq);
    }

    private static LiquidLayoutException notLiquid(Path dir, String why) {
        return new LiquidLayoutException("not a Liquid model: " + dir + ": " + why);
    }

    /** liquid.json's content: exactly the spec's keys, in its order. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text_vocab_size", textVocabSize);
        m.put("image_codes", imageCodes);
        m.put("boi_id", boiId);
        m.put("eoi_id", eoiId);
        m.put("unconditional_id", unconditionalId);
        m.put("image_grid", new int[] {gridRows, gridCols});
        m.put("vqgan", vqgan == null ? Json.NULL : vqgan);
        return Json.write(m) + "\n";
    }

    /** Writes dir/liquid.json (under a temporary name, then renamed, so readers never see half of it). */
    public Path write(Path dir) {
        Path file = dir.resolve(FILE);
        Path tmp = dir.resolve(FILE + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(tmp, toJson(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // named after liquid.json and the pid; harmless if left
            }
        }
    }
}
