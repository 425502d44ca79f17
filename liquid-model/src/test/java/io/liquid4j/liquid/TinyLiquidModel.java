package io.liquid4j.liquid;

import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A character-level HF tokenizer.json for tiny test models: 40 text ids (specials 0..6 with
 * &lt;boi&gt; 4, &lt;eoi&gt; 5, &lt;unconditional&gt; 6, then space, a..z and a few marks; anything else is
 * &lt;unk&gt;) and BOS added by a TemplateProcessing post-processor, like Gemma's.
 */
public final class TinyLiquidModel {
    public static final int TEXT_VOCAB = 40, BOI = 4, EOI = 5, UNCOND = 6, BOS = 2, EOS = 1;
    private static final String[] SPECIALS = {"<pad>", "<eos>", "<bos>", "<unk>", "<boi>", "<eoi>", "<unconditional>"};

    private TinyLiquidModel() {}

    /** Writes dir/tokenizer.json. */
    public static void writeTokenizer(Path dir) throws IOException {
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < SPECIALS.length; i++) {
            vocab.put(SPECIALS[i], i);
            added.add(Map.of("id", i, "content", SPECIALS[i], "single_word", false, "lstrip", false, "rstrip", false,
                    "normalized", false, "special", true));
        }
        String chars = " abcdefghijklmnopqrstuvwxyz.:,GTC";
        for (int i = 0; i < chars.length(); i++) vocab.put(String.valueOf(chars.charAt(i)), SPECIALS.length + i);
        if (vocab.size() != TEXT_VOCAB) throw new AssertionError("tiny vocabulary has " + vocab.size() + " entries");
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", List.of());
        model.put("unk_token", "<unk>");
        Map<String, Object> bos = Map.of("SpecialToken", Map.of("id", "<bos>", "type_id", 0));
        Map<String, Object> post = new LinkedHashMap<>();
        post.put("type", "TemplateProcessing");
        post.put("single", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0))));
        post.put("pair", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0)), Map.of("Sequence", Map.of("id", "B", "type_id", 1))));
        post.put("special_tokens", Map.of("<bos>", Map.of("id", "<bos>", "ids", List.of(BOS), "tokens", List.of("<bos>"))));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", null);
        root.put("post_processor", post);
        root.put("decoder", null);
        root.put("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(root));
    }
}
