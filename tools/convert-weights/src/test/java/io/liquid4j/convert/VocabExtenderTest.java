package io.liquid4j.convert;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** extend-vocab on the nn module's golden tiny models: tied Gemma (renamed tokens) and untied Llama (added tokens). */
class VocabExtenderTest {
    private static final int V = 48, CODES = 16;
    private static final long[] TEXT_IDS = {2, 5, 7, 13, 47, 0, 31, 8, 9, 22};

    @TempDir Path tmp;

    /** A copy of nn/src/test/resources/models/{family} with a small tokenizer of V ids. */
    private Path fixture(String family, boolean gemmaTokens) throws IOException {
        Path src = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && src == null; p = p.getParent()) {
            Path f = p.resolve("nn/src/test/resources/models/" + family);
            if (Files.isRegularFile(f.resolve("config.json"))) src = f;
        }
        if (src == null) throw new IllegalStateException("nn/src/test/resources/models/" + family + " not found above " + Path.of("").toAbsolutePath());
        Path dir = Files.createDirectories(tmp.resolve(family));
        for (String name : new String[] {"config.json", "model.safetensors"}) Files.copy(src.resolve(name), dir.resolve(name));
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < V; i++) {
            String t = gemmaTokens && i >= 7 && i <= 9 ? "<unused" + (i - 7) + ">" : i == 2 ? "<bos>" : "t" + i;
            vocab.put(t, i);
            if (t.startsWith("<")) added.add(addedToken(i, t, t.equals("<bos>")));
        }
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("added_tokens", added);
        tok.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()));
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(tok));
        Map<String, Object> decoder = new LinkedHashMap<>();
        for (Object a : added) {
            Map<?, ?> m = (Map<?, ?>) a;
            decoder.put(String.valueOf(m.get("id")), Map.of("content", m.get("content"), "special", m.get("special")));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.write(Map.of("added_tokens_decoder", decoder, "bos_token", "<bos>")));
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\":false}");
        return dir;
    }

    private static Map<String, Object> addedToken(int id, String content, boolean special) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", special);
        return t;
    }

    private static LiquidLayout extend(Path model, Path out) {
        return VocabExtender.extend(new VocabExtender.Request(model, CODES, 4, 2, null, out, false), null);
    }

    private static float[] logits(Path dir) {
        CausalLM m = CausalLM.fromPretrained(dir, DType.F32, Device.CPU);
        try (Tensor ids = Tensor.fromArray(TEXT_IDS, 1, TEXT_IDS.length); Tensor out = m.forward(ids)) {
            assertEquals(m.config().vocabSize(), out.size(2));
            return out.toFloatArray();
        }
    }

    /** Text logits equal at every position; the new rows of {@code names} equal the mean of the old rows. */
    private static void assertExtendedFaithfully(Path in, Path out, int totalVocab, String... names) {
        float[] before = logits(in), after = logits(out);
        for (int pos = 0; pos < TEXT_IDS.length; pos++) {
            for (int id = 0; id < V; id++) {
                assertEquals(before[pos * V + id], after[pos * totalVocab + id], 1e-6, "logit of " + id + " at position " + pos);
            }
        }
        try (Checkpoint a = Checkpoint.open(in); Checkpoint b = Checkpoint.open(out)) {
            for (String name : names) {
                try (Tensor old = a.tensor(name); Tensor grown = b.tensor(name)) {
                    int hidden = old.size(1);
                    assertArrayEquals(new int[] {totalVocab, hidden}, b.shape(name), name);
                    float[] o = old.toFloatArray(), g = grown.toFloatArray();
                    for (int c = 0; c < hidden; c++) {
                        double sum = 0;
                        for (int r = 0; r < V; r++) sum += o[r * hidden + c];
                        float mean = (float) (sum / V);
                        for (int r = 0; r < V; r++) assertEquals(o[r * hidden + c], g[r * hidden + c], name + " old row " + r);
                        for (int r = V; r < totalVocab; r++) assertEquals(mean, g[r * hidden + c], name + " new row " + r);
                    }
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Path file) throws IOException {
        return (Map<String, Object>) Json.parseFile(file);
    }

    @Test void gemmaRenamesUnusedTokensAndGrowsTheTiedEmbeddingByTheCodes() throws Exception {
        Path in = fixture("gemma", true), out = tmp.resolve("liquid-gemma");
        LiquidLayout layout = extend(in, out);
        assertEquals(new LiquidLayout(V, CODES, 7, 8, 9, 4, 2, null), layout);
        assertEquals(layout, LiquidLayout.load(out));
        assertEquals((long) V + CODES, json(out.resolve("config.json")).get("vocab_size"));
        Map<String, Object> inCfg = json(in.resolve("config.json")), outCfg = json(out.resolve("config.json"));
        inCfg.remove("vocab_size");
        outCfg.remove("vocab_size");
        assertEquals(inCfg, outCfg, "every other config key is kept");
        assertEquals("{\"do_sample\":false}", Files.readString(out.resolve("generation_config.json")));
        assertExtendedFaithfully(in, out, V + CODES, VocabExtender.EMBED);

        Map<String, Object> tok = json(out.resolve("tokenizer.json"));
        Map<?, ?> vocab = (Map<?, ?>) ((Map<?, ?>) tok.get("model")).get("vocab");
        String[] names = {"<boi>", "<eoi>", "<unconditional>"};
        for (int i = 0; i < 3; i++) {
            long id = 7 + i;
            assertEquals((long) (7 + i), vocab.get(names[i]));
            assertFalse(vocab.containsKey("<unused" + i + ">"));
            Map<?, ?> added = ((List<?>) tok.get("added_tokens")).stream().map(o -> (Map<?, ?>) o)
                    .filter(m -> m.get("id").equals(id)).findFirst().orElseThrow();
            assertEquals(names[i], added.get("content"));
            assertEquals(true, added.get("special"));
            Map<?, ?> dec = (Map<?, ?>) ((Map<?, ?>) json(out.resolve("tokenizer_config.json")).get("added_tokens_decoder")).get(String.valueOf(7 + i));
            assertEquals(names[i], dec.get("content"));
            assertEquals(true, dec.get("special"));
        }
        HfTokenizer t = HfTokenizer.load(out.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {7}, t.encode("<boi>", false));
        assertArrayEquals(new int[] {8, 9}, t.encode("<eoi><unconditional>", false));
        assertTrue(t.isSpecial(7) && t.isSpecial(9));
        assertEquals(2, t.bosId());
    }

    @Test void llamaGetsThreeNewTokensBeforeTheCodesAndGrowsBothMatrices() throws Exception {
        Path in = fixture("llama", false), out = tmp.resolve("liquid-llama");
        Path vq = Files.createDirectories(tmp.resolve("vq"));
        LiquidLayout layout = VocabExtender.extend(new VocabExtender.Request(in, CODES, 32, 32, vq, out, false), null);
        assertEquals(new LiquidLayout(V + 3, CODES, V, V + 1, V + 2, 32, 32, "../vq"), layout);
        assertEquals(layout, LiquidLayout.load(out));
        assertEquals(vq.toAbsolutePath().normalize(), layout.vqganDir(out.toAbsolutePath()).normalize());
        assertEquals((long) V + 3 + CODES, json(out.resolve("config.json")).get("vocab_size"));
        assertExtendedFaithfully(in, out, V + 3 + CODES, VocabExtender.EMBED, VocabExtender.LM_HEAD);
        HfTokenizer t = HfTokenizer.load(out.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {V, V + 1, V + 2}, t.encode("<boi><eoi><unconditional>", false));
        assertEquals(layout.textVocabSize(), t.vocabSize(), "the code range starts right after the tokenizer");
        assertEquals(List.of(String.valueOf(2), String.valueOf(V), String.valueOf(V + 1), String.valueOf(V + 2)),
                List.copyOf(((Map<?, ?>) json(out.resolve("tokenizer_config.json")).get("added_tokens_decoder")).keySet().stream().map(Object::toString).toList()));
    }

    @Test void shardedCheckpointsKeepTheirShardsAndIndex() throws Exception {
        Path in = fixture("llama", false);
        Path single = in.resolve("model.safetensors");
        Map<String, Tensor> all = Checkpoint.loadAll(single);
        Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        Map<String, Object> weightMap = new LinkedHashMap<>();
        for (var e : all.entrySet()) {
            boolean one = e.getKey().equals(VocabExtender.EMBED) || e.getKey().contains("layers.0");
            (one ? first : second).put(e.getKey(), e.getValue());
            weightMap.put(e.getKey(), one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        Checkpoint.save(in.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        Checkpoint.save(in.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(in.resolve("model.safetensors.index.json"), Json.write(Map.of("metadata", Map.of("total_size", 1), "weight_map", weightMap)));
        Path unsharded = tmp.resolve("unsharded");
        Files.createDirectories(unsharded);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) Files.copy(in.resolve(f), unsharded.resolve(f));
        Files.delete(single);
        all.values().forEach(Tensor::close);

        Path out = tmp.resolve("liquid-sharded");
        extend(in, out);
        assertTrue(Files.isRegularFile(out.resolve("model-00001-of-00002.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("model-00002-of-00002.safetensors")));
        assertFalse(Files.exists(out.resolve("model.safetensors")));
        long total = ((Number) ((Map<?, ?>) json(out.resolve("model.safetensors.index.json")).get("metadata")).get("total_size")).longValue();
        long expected = 0;
        for (String f : new String[] {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
            try (var s = io.liquid4j.tensor.io.SafetensorsFile.open(out.resolve(f))) {
                expected += s.fileSize() - 8 - s.headerLength();
            }
        }
        assertEquals(expected, total);
        assertExtendedFaithfully(unsharded, out, V + 3 + CODES, VocabExtender.EMBED, VocabExtender.LM_HEAD);
    }

    @Test void bf16MatricesStayBf16WithTheMeanRoundedOnce() throws Exception {
        Path f32 = fixture("llama", false), bf16 = tmp.resolve("llama-bf16"), out = tmp.resolve("liquid-bf16");
        DtypeConverter.convert(f32, bf16, DType.BF16, null);
        extend(bf16, out);
        try (Checkpoint a = Checkpoint.open(bf16); Checkpoint b = Checkpoint.open(out)) {
            for (String name : new String[] {VocabExtender.EMBED, VocabExtender.LM_HEAD}) {
                assertEquals(DType.BF16, b.dtype(name));
                try (Tensor old = a.tensor(name); Tensor grown = b.tensor(name)) {
                    int hidden = old.size(1);
                    float[] o = old.toFloatArray(), g = grown.toFloatArray();
                    for (int c = 0; c < hidden; c++) {
                        double sum = 0;
                        for (int r = 0; r < V; r++) sum += o[r * hidden + c];
                        float mean = DType.bf16ToFloat(DType.floatToBf16((float) (sum / V)));
                        for (int r = V; r < V + 3 + CODES; r++) assertEquals(mean, g[r * hidden + c], name + " new row " + r);
                    }
                }
            }
        }
    }

    private String error(VocabExtender.Request r) {
        return assertThrows(ConversionException.class, () -> VocabExtender.extend(r, null)).getMessage();
    }

    @Test void errorsAreOneLineAndLeaveNoOutput() throws Exception {
        Path in = fixture("llama", false), out = tmp.resolve("out");
        String m = error(new VocabExtender.Request(in, 0, 32, 32, null, out, false));
        assertTrue(m.contains("--codes must be positive"), m);
        assertTrue(assertThrows(ConversionException.class, () -> VocabExtender.parseGrid("32by32")).getMessage().contains("--grid"));
        assertArrayEquals(new int[] {16, 8}, VocabExtender.parseGrid("16x8"));

        Files.createDirectories(out);
        m = error(new VocabExtender.Request(in, CODES, 32, 32, null, out, false));
        assertTrue(m.startsWith(out + ": already exists"), m);
        Files.delete(out);

        m = error(new VocabExtender.Request(in, CODES, 32, 32, null, in.resolve("sub"), false));
        assertTrue(m.contains("overlaps the input"), m);

        // a missing tensor fails after the output was started: nothing is left behind
        Map<String, Tensor> all = Checkpoint.loadAll(in.resolve("model.safetensors"));
        all.remove(VocabExtender.LM_HEAD).close();
        Checkpoint.save(in.resolve("model.safetensors"), all, Map.of("format", "pt"));
        all.values().forEach(Tensor::close);
        m = error(new VocabExtender.Request(in, CODES, 32, 32, null, out, false));
        assertTrue(m.contains("missing tensor lm_head.weight"), m);
        assertFalse(Files.exists(out));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("out")).toList(), "no temporary directory left");
        }

        // a corrupt shard fails while streaming: again no output
        Path g = fixture("gemma", true);
        byte[] bytes = Files.readAllBytes(g.resolve("model.safetensors"));
        Files.write(g.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThrows(RuntimeException.class, () -> VocabExtender.extend(new VocabExtender.Request(g, CODES, 32, 32, null, out, false), null));
        assertFalse(Files.exists(out));
    }

    @Test void refusesALiquidModel() throws Exception {
        Path in = fixture("gemma", true), out = tmp.resolve("once");
        extend(in, out);
        String m = error(new VocabExtender.Request(out, CODES, 32, 32, null, tmp.resolve("twice"), false));
        assertTrue(m.contains("already a Liquid model"), m);
        Files.delete(out.resolve("liquid.json"));
        m = error(new VocabExtender.Request(out, CODES, 32, 32, null, tmp.resolve("twice"), false));
        assertTrue(m.contains("already has <boi>") && m.contains("already a Liquid model"), m);
        assertFalse(Files.exists(tmp.resolve("twice")));
    }

    @Test void forceReplacesAnExistingOutputOnlyWhenDone() throws Exception {
        Path in = fixture("gemma", true), out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("stale.txt"), "x");
        VocabExtender.extend(new VocabExtender.Request(in, CODES, 32, 32, null, out, true), null);
        assertFalse(Files.exists(out.resolve("stale.txt")));
        assertEquals(CODES, LiquidLayout.load(out).imageCodes());
    }

    @Test void commandLineRuns() throws Exception {
        Path in = fixture("llama", false), out = tmp.resolve("cli");
        assertEquals(0, ConvertWeightsCommand.execute("extend-vocab", "--model", in.toString(), "--codes", "8", "--grid", "2x4", "--out", out.toString()));
        assertEquals(new LiquidLayout(V + 3, 8, V, V + 1, V + 2, 2, 4, null), LiquidLayout.load(out));
        assertEquals(1, ConvertWeightsCommand.execute("extend-vocab", "--model", in.toString(), "--codes", "8", "--out", out.toString()));
    }
}
