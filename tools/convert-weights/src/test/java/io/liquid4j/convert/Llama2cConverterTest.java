package io.liquid4j.convert;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cConverterTest {
    @TempDir Path tmp;

    private Path convert(boolean shared) throws Exception {
        Llama2cHeader h = Llama2cFixture.smallHeader(shared);
        Path bin = Llama2cFixture.write(tmp.resolve("model.bin"), h, shared ? 11 : 12);
        Path tok = Llama2cFixture.writeTokenizer(tmp.resolve("tok.bin"), h.vocabSize());
        Path out = tmp.resolve("hf");
        Llama2cConverter.convert(bin, tok, out, null);
        return out;
    }

    @ParameterizedTest(name = "shared classifier = {0}")
    @ValueSource(booleans = {true, false})
    void writesHfConfigNamesAndShapes(boolean shared) throws Exception {
        Path out = convert(shared);
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = (Map<String, Object>) Json.parseFile(out.resolve("config.json"));
        assertEquals(List.of("LlamaForCausalLM"), cfg.get("architectures"));
        assertEquals(64L, ((Number) cfg.get("hidden_size")).longValue());
        assertEquals(96L, ((Number) cfg.get("intermediate_size")).longValue());
        assertEquals(2L, ((Number) cfg.get("num_hidden_layers")).longValue());
        assertEquals(8L, ((Number) cfg.get("num_attention_heads")).longValue());
        assertEquals(2L, ((Number) cfg.get("num_key_value_heads")).longValue());
        assertEquals(100L, ((Number) cfg.get("vocab_size")).longValue());
        assertEquals(32L, ((Number) cfg.get("max_position_embeddings")).longValue());
        assertEquals(1e-5, ((Number) cfg.get("rms_norm_eps")).doubleValue());
        assertEquals(10000.0, ((Number) cfg.get("rope_theta")).doubleValue());
        assertEquals(shared, cfg.get("tie_word_embeddings"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("tok.bin")), Files.readAllBytes(out.resolve("tokenizer.bin")));

        try (Checkpoint c = Checkpoint.open(out)) {
            assertEquals(2 + 9 * 2 + (shared ? 0 : 1), c.names().size());
            assertEquals(shared, !c.contains("lm_head.weight"));
            assertArrayEquals(new int[] {100, 64}, c.shape("model.embed_tokens.weight"));
            assertArrayEquals(new int[] {64, 64}, c.shape("model.layers.1.self_attn.q_proj.weight"));
            assertArrayEquals(new int[] {16, 64}, c.shape("model.layers.1.self_attn.k_proj.weight"));
            assertArrayEquals(new int[] {16, 64}, c.shape("model.layers.0.self_attn.v_proj.weight"));
            assertArrayEquals(new int[] {96, 64}, c.shape("model.layers.0.mlp.gate_proj.weight"));
            assertArrayEquals(new int[] {64, 96}, c.shape("model.layers.0.mlp.down_proj.weight"));
            assertArrayEquals(new int[] {64}, c.shape("model.norm.weight"));
            assertEquals(DType.F32, c.dtype("model.layers.0.input_layernorm.weight"));
        }
    }

    @ParameterizedTest(name = "shared classifier = {0}")
    @ValueSource(booleans = {true, false})
    void weightsAreTheOriginalsWithOnlyQkRowsPermuted(boolean shared) throws Exception {
        Path out = convert(shared);
        Llama2cReference.Weights orig = Llama2cReference.fromBin(tmp.resolve("model.bin"));
        Llama2cReference.Weights conv = Llama2cReference.fromHf(out, orig.h());
        int dim = 64, hs = 8;
        for (int l = 0; l < 2; l++) {
            assertArrayEquals(orig.wv()[l], conv.wv()[l]);
            assertArrayEquals(orig.wo()[l], conv.wo()[l]);
            assertArrayEquals(orig.w1()[l], conv.w1()[l]);
            assertArrayEquals(orig.w2()[l], conv.w2()[l]);
            assertArrayEquals(orig.w3()[l], conv.w3()[l]);
            assertArrayEquals(orig.rmsAtt()[l], conv.rmsAtt()[l]);
            assertArrayEquals(orig.rmsFfn()[l], conv.rmsFfn()[l]);
            assertArrayEquals(unpermute(conv.wq()[l], 8, hs, dim), orig.wq()[l]);
            assertArrayEquals(unpermute(conv.wk()[l], 2, hs, dim), orig.wk()[l]);
            assertFalse(Arrays.equals(orig.wq()[l], conv.wq()[l]), "wq must actually be permuted");
        }
        assertArrayEquals(orig.embedding(), conv.embedding());
        assertArrayEquals(orig.rmsFinal(), conv.rmsFinal());
        assertArrayEquals(orig.classifier(), conv.classifier());
    }

    /** Undoes the HF permutation with the inverse map, independently of the converter's loop. */
    private static float[] unpermute(float[] hf, int heads, int hs, int cols) {
        float[] meta = new float[hf.length];
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < hs; r++) {
                int hfRow = QkPermutation.targetRow(r, hs);
                System.arraycopy(hf, (h * hs + hfRow) * cols, meta, (h * hs + r) * cols, cols);
            }
        }
        return meta;
    }

    @Test
    void permutationMatchesTheSpecsViewSwapReshape() {
        // view [hs/2, 2] -> transpose -> [2, hs/2]: new row j*hs/2 + i holds old row 2i + j
        int hs = 8;
        int[] expectedSource = {0, 2, 4, 6, 1, 3, 5, 7};
        for (int r = 0; r < hs; r++) {
            assertEquals(expectedSource[r], QkPermutation.sourceRow(r, hs));
            assertEquals(r, QkPermutation.targetRow(QkPermutation.sourceRow(r, hs), hs));
        }
    }

    @ParameterizedTest(name = "shared classifier = {0}")
    @ValueSource(booleans = {true, false})
    void convertedWeightsWithRotateHalfGenerateWhatRunCGeneratesOnTheBin(boolean shared) throws Exception {
        Path out = convert(shared);
        Llama2cReference.Weights orig = Llama2cReference.fromBin(tmp.resolve("model.bin"));
        Llama2cReference.Weights conv = Llama2cReference.fromHf(out, orig.h());
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9, 71, 30, 3, 56};  // long enough that RoPE acts on many positions
        List<double[]> refLogits = new ArrayList<>(), convLogits = new ArrayList<>();
        int[] ref = Llama2cReference.greedy(orig, Llama2cReference.Rope.INTERLEAVED, prompt, 20, refLogits);
        int[] got = Llama2cReference.greedy(conv, Llama2cReference.Rope.HALF, prompt, 20, convLogits);
        assertArrayEquals(ref, got);
        for (int p = 0; p < refLogits.size(); p++) assertArrayEquals(refLogits.get(p), convLogits.get(p), 1e-9, "position " + p);
        // the generation is not degenerate (random tiny models settle into loops, but not at once)
        assertTrue(Arrays.stream(ref, prompt.length, ref.length).distinct().count() >= 2, Arrays.toString(ref));
        // ...and the permutation matters: the converted weights under run.c's RoPE disagree
        int[] wrong = Llama2cReference.greedy(conv, Llama2cReference.Rope.INTERLEAVED, prompt, 20, null);
        assertFalse(Arrays.equals(ref, wrong), "interleaved RoPE on permuted weights should change the output");
    }

    @Test
    void liquidCliFindsConvertWeightsThroughServiceLoader() throws Exception {
        Llama2cHeader h = Llama2cFixture.smallHeader(false);
        Path bin = Llama2cFixture.write(tmp.resolve("m.bin"), h, 3);
        Path tok = Llama2cFixture.writeTokenizer(tmp.resolve("t.bin"), 100);
        Path out = tmp.resolve("cli-out");
        int rc = LiquidCli.execute("convert-weights", "llama2c", "--model", bin.toString(), "--tokenizer", tok.toString(),
                "--out", out.toString());
        assertEquals(0, rc);
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        assertTrue(Files.exists(out.resolve("config.json")));
        try (var files = Files.list(out)) {
            assertEquals(3, files.count(), "no temp files are left behind");
        }
        assertEquals(0, ConvertWeightsCommand.execute("inspect", "--summary", out.toString()));
    }
}
