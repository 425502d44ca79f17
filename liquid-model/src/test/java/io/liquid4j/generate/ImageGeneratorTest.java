package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CFG image loop on a tiny random model (text ids [0, 40), codes [40, 56)): the image-only
 * LM head samples exactly what the full head samples, and greedy CFG equals a plain loop that
 * recomputes every row from scratch (no cache, no padding tricks) and mixes by hand, fed its own
 * picks or (teacher forcing) given codes.
 */
class ImageGeneratorTest {
    private static final int TEXT = 40, CODES = 16, STEPS = 6;

    private static CausalLM model() {
        return new CausalLM(ConfigParser.parse(Json.parseObject("""
                {"model_type": "gemma", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64, "head_dim": 8,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "max_position_embeddings": 64,
                 "tie_word_embeddings": true}"""), "test config"), Init.random(new Generator(5)));
    }

    private static final List<int[]> PROMPTS = List.of(new int[] {2, 11, 12, 13, 7}, new int[] {2, 20, 7});
    private static final int[] UNCOND = {2, 9, 7};

    @Test
    void imageRowsOnlyHeadSamplesLikeTheFullHead() {
        CausalLM m = model();
        SamplingParams sampling = new SamplingParams(0.99, 8, 0.96, 1234);
        int[][] fast = new ImageGenerator(m, TEXT, CODES, true, DType.F32).generate(PROMPTS, UNCOND, STEPS, 3.0, sampling, 0, s -> { });
        int[][] full = new ImageGenerator(m, TEXT, CODES, false, DType.F32).generate(PROMPTS, UNCOND, STEPS, 3.0, sampling, 0, s -> { });
        assertArrayEquals(full, fast);
        for (int[] row : fast) for (int c : row) assertTrue(c >= 0 && c < CODES);
    }

    @Test
    void greedyCfgMatchesALoopFromScratch() {
        CausalLM m = model();
        int[][] got = new ImageGenerator(m, TEXT, CODES, true, DType.F32).generate(PROMPTS, UNCOND, STEPS, 4.0, new SamplingParams(1.0, 1, 1.0, 0), 0, s -> { });
        assertArrayEquals(fromScratch(m, 4.0, null), got);
    }

    @Test
    void teacherForcedPicksMatchALoopFromScratchFedTheForcedCodes() {
        CausalLM m = model();
        var gen = new ImageGenerator(m, TEXT, CODES, true, DType.F32);
        int[][] forced = {{3, 15, 0, 7, 7, 1}, {9, 2, 14, 4, 11, 5}};
        int[][] got = gen.followCodes(PROMPTS, UNCOND, forced, 4.0, 0, s -> { });
        assertArrayEquals(fromScratch(m, 4.0, forced), got);
        // fed its own greedy codes, the model picks them again
        int[][] own = gen.generate(PROMPTS, UNCOND, STEPS, 4.0, SamplingParams.GREEDY, 0, s -> { });
        assertArrayEquals(own, gen.followCodes(PROMPTS, UNCOND, own, 4.0, 0, s -> { }));
    }

    @Test
    void badForcedCodesAreClearErrors() {
        var gen = new ImageGenerator(model(), TEXT, CODES, true, DType.F32);
        var e = assertThrows(IllegalArgumentException.class, () -> gen.followCodes(PROMPTS, UNCOND, new int[][] {{1, 2}, {1, 16}}, 4.0, 0, s -> { }));
        assertTrue(e.getMessage().contains("forced code 16 outside [0, 16)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> gen.followCodes(PROMPTS, UNCOND, new int[][] {{1, 2}}, 4.0, 0, s -> { }));
        assertTrue(e.getMessage().contains("1 code sequences for 2 prompts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> gen.followCodes(PROMPTS, UNCOND, new int[][] {{1, 2}, {1}}, 4.0, 0, s -> { }));
        assertTrue(e.getMessage().contains("different lengths"), e.getMessage());
    }

    /**
     * Greedy CFG codes computed the slow way: every step recomputes both rows from scratch and
     * mixes by hand; the history is the picks, or {@code forced} where given.
     */
    private static int[][] fromScratch(CausalLM m, double cfg, int[][] forced) {
        int[][] picks = new int[PROMPTS.size()][STEPS];
        for (int i = 0; i < PROMPTS.size(); i++) {
            long[] cond = toLong(PROMPTS.get(i)), uncond = toLong(UNCOND);
            for (int step = 0; step < STEPS; step++) {
                float[] c = lastLogits(m, cond), u = lastLogits(m, uncond);
                int best = 0;
                double bv = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < CODES; k++) {
                    double mixed = u[TEXT + k] + (c[TEXT + k] - u[TEXT + k]) * cfg;
                    if (mixed > bv) {
                        bv = mixed;
                        best = k;
                    }
                }
                picks[i][step] = best;
                int fed = forced == null ? best : forced[i][step];
                cond = append(cond, TEXT + fed);
                uncond = append(uncond, TEXT + fed);
            }
        }
        return picks;
    }

    @Test
    void contextOverflowIsAClearError() {
        var g = new ImageGenerator(model(), TEXT, CODES, true, DType.F32);
        assertThrows(IllegalArgumentException.class, () -> g.generate(PROMPTS, UNCOND, 64, 3.0, SamplingParams.GREEDY, 0, s -> { }));
    }

    private static float[] lastLogits(CausalLM m, long[] ids) {
        try (var _ = GradMode.noGrad()) {
            return m.forwardLast(Tensor.fromArray(ids, 1, ids.length), null, null).toFloatArray();
        }
    }

    private static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    private static long[] append(long[] a, long v) {
        long[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }
}
