package io.liquid4j.nn.vqgan;

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
 * Sizes of a taming-transformers VQModel (the "ddconfig" of vqgan.yaml plus embed_dim/n_embed).
 * JSON keys are the yaml names, so config.json reads like the original config.
 */
public record VqConfig(int embedDim, int nEmbed, boolean doubleZ, int zChannels, int resolution,
                       int inChannels, int outCh, int ch, int[] chMult, int numResBlocks,
                       int[] attnResolutions, double dropout, int normGroups, boolean l2NormalizedCodes) {

    /** GroupNorm groups of every Normalize layer in taming's architecture (and every released VQGAN). */
    public static final int NORM_GROUPS = 32;

    /** A config with taming's 32 GroupNorm groups. */
    public VqConfig(int embedDim, int nEmbed, boolean doubleZ, int zChannels, int resolution, int inChannels, int outCh, int ch,
                    int[] chMult, int numResBlocks, int[] attnResolutions, double dropout) {
        this(embedDim, nEmbed, doubleZ, zChannels, resolution, inChannels, outCh, ch, chMult, numResBlocks, attnResolutions, dropout, NORM_GROUPS, false);
    }

    public VqConfig {
        if (normGroups <= 0) throw new IllegalArgumentException("vqgan config: norm_groups must be positive, got " + normGroups);
        chMult = chMult.clone();
        attnResolutions = attnResolutions.clone();
        if (chMult.length == 0) throw new IllegalArgumentException("vqgan config: ch_mult must not be empty");
        for (int m : chMult) {
            if (m <= 0 || (ch * m) % normGroups != 0) {
                throw new IllegalArgumentException("vqgan config: every ch·ch_mult must be a positive multiple of "
                        + normGroups + " (norm_groups, the GroupNorm groups), got ch " + ch + " and ch_mult " + Arrays.toString(chMult));
            }
        }
        if (embedDim <= 0 || nEmbed <= 0 || zChannels <= 0 || inChannels <= 0 || outCh <= 0 || numResBlocks <= 0 || resolution <= 0) {
            throw new IllegalArgumentException("vqgan config: sizes must be positive: " + describe(embedDim, nEmbed, zChannels, inChannels, outCh, numResBlocks, resolution));
        }
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("vqgan config: dropout must be in [0, 1), got " + dropout);
    }

    private static String describe(int... v) { return Arrays.toString(v); }

    /** Chameleon's 512-px tokenizer (vqgan.yaml of Chameleon / Liquid). */
    public static VqConfig chameleon() {
        return new VqConfig(256, 8192, false, 256, 512, 3, 3, 128, new int[] {1, 1, 2, 2, 4}, 2, new int[0], 0.0);
    }

    /** Downsampling factor: pixels per code along each side. */
    public int downFactor() { return 1 << (chMult.length - 1); }

    /** Codes per side for an image of `pixels` per side. */
    public int gridSize(int pixels) { return pixels / downFactor(); }

    @Override public int[] chMult() { return chMult.clone(); }

    @Override public int[] attnResolutions() { return attnResolutions.clone(); }

    boolean attentionAt(int res) {
        for (int r : attnResolutions) if (r == res) return true;
        return false;
    }

    /** The config as a JSON-ready map with the yaml key names. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embed_dim", embedDim);
        m.put("n_embed", nEmbed);
        m.put("double_z", doubleZ);
        m.put("z_channels", zChannels);
        m.put("resolution", resolution);
        m.put("in_channels", inChannels);
        m.put("out_ch", outCh);
        m.put("ch", ch);
        m.put("ch_mult", Arrays.stream(chMult).boxed().toList());
        m.put("num_res_blocks", numResBlocks);
        m.put("attn_resolutions", Arrays.stream(attnResolutions).boxed().toList());
        m.put("dropout", dropout);
        // our extensions, absent from taming's configs: written only when they differ from taming
        if (normGroups != NORM_GROUPS) m.put("norm_groups", normGroups);
        if (l2NormalizedCodes) m.put("l2_normalized_codes", true);
        return m;
    }

    public String toJson() { return Json.write(toMap()); }

    /**
     * Reads the keys above from a map (config.json, or the merged ddconfig + embed_dim/n_embed of
     * a yaml); `source` names the file in errors. Every key is required except dropout (0) and
     * norm_groups (32) and l2_normalized_codes (false), our extensions for small VQGANs trained
     * from scratch: narrower than 32 channels, and the cosine-similarity codebook of ViT-VQGAN.
     */
    public static VqConfig fromMap(Map<String, ?> m, String source) {
        return new VqConfig(integer(m, "embed_dim", source), integer(m, "n_embed", source),
                bool(m, "double_z", source), integer(m, "z_channels", source), integer(m, "resolution", source),
                integer(m, "in_channels", source), integer(m, "out_ch", source), integer(m, "ch", source),
                ints(m, "ch_mult", source), integer(m, "num_res_blocks", source), ints(m, "attn_resolutions", source),
                m.containsKey("dropout") ? number(m, "dropout", source).doubleValue() : 0.0,
                m.containsKey("norm_groups") ? integer(m, "norm_groups", source) : NORM_GROUPS,
                m.containsKey("l2_normalized_codes") && bool(m, "l2_normalized_codes", source));
    }

    /** Reads DIR/config.json or a config.json file. */
    public static VqConfig read(Path fileOrDir) {
        Path f = Files.isDirectory(fileOrDir) ? fileOrDir.resolve("config.json") : fileOrDir;
        try {
            Object v = Json.parseFile(f);
            if (!(v instanceof Map<?, ?> map)) throw new IllegalArgumentException(f + ": expected a JSON object");
            @SuppressWarnings("unchecked") Map<String, ?> m = (Map<String, ?>) map;
            return fromMap(m, f.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": cannot read vqgan config: " + e.getMessage(), e);
        }
    }

    public void write(Path file) {
        try {
            Files.writeString(file, toJson() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write vqgan config: " + e.getMessage(), e);
        }
    }

    private static Number number(Map<String, ?> m, String key, String source) {
        Object v = m.get(key);
        if (v == null) throw new IllegalArgumentException(source + ": vqgan config lacks '" + key + "'");
        if (!(v instanceof Number n)) throw new IllegalArgumentException(source + ": vqgan config '" + key + "' must be a number, got " + v);
        return n;
    }

    private static int integer(Map<String, ?> m, String key, String source) {
        Number n = number(m, key, source);
        if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": vqgan config '" + key + "' must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static boolean bool(Map<String, ?> m, String key, String source) {
        Object v = m.get(key);
        if (!(v instanceof Boolean b)) throw new IllegalArgumentException(source + ": vqgan config '" + key + "' must be true or false, got " + v);
        return b;
    }

    private static int[] ints(Map<String, ?> m, String key, String source) {
        Object v = m.get(key);
        if (!(v instanceof List<?> list)) throw new IllegalArgumentException(source + ": vqgan config '" + key + "' must be a list of integers, got " + v);
        List<Integer> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(source + ": vqgan config '" + key + "' must be a list of integers, got " + v);
            }
            out.add(n.intValue());
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override public boolean equals(Object o) {
        return o instanceof VqConfig c && toMap().equals(c.toMap());
    }

    @Override public int hashCode() { return toMap().hashCode(); }

    @Override public String toString() { return "VqConfig" + toMap(); }
}
