package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextGeneratorTest {
    static final GenerationConfig GREEDY_12 = new GenerationConfig(12, SamplingParams.GREEDY, new int[0], 0);

    /** Greedy decoding with the KV cache equals re-running the whole sequence each step (no cache). */
    @Test
    void cachedGreedyEqualsFullRecompute() {
        for (String cfg : new String[] {TinyModels.LLAMA_CONFIG, TinyModels.GEMMA2_CONFIG}) {
            CausalLM m = TinyModels.random(cfg, 11);
            int[] prompt = {5, 17, 3, 22};
            int[] got = new TextGenerator(m).generate(List.of(prompt), GREEDY_12, TokenListener.NONE).tokens().getFirst();
            assertArrayEquals(naiveGreedy(m, prompt, 12), got);
        }
    }

    @Test
    void leftPaddedBatchEqualsSeparateRuns() {
        CausalLM m = TinyModels.random(TinyModels.GEMMA2_CONFIG, 12);
        int[] a = {5, 17, 3, 22, 9, 30}, b = {8, 4}, c = {11, 12, 13};
        List<int[]> batch = new TextGenerator(m).generate(List.of(a, b, c), GREEDY_12, TokenListener.NONE).tokens();
        for (int i = 0; i < 3; i++) {
            int[] alone = new TextGenerator(m).generate(List.of(List.of(a, b, c).get(i)), GREEDY_12, TokenListener.NONE).tokens().getFirst();
            assertArrayEquals(alone, batch.get(i), "row " + i);
        }
    }

    @Test
    void stopIdEndsTheRowAndIsStreamedButNotKept() {
        CausalLM m = TinyModels.random(TinyModels.LLAMA_CONFIG, 13);
        int[] prompt = {5, 17, 3};
        int[] free = new TextGenerator(m).generate(List.of(prompt), GREEDY_12, TokenListener.NONE).tokens().getFirst();
        int stop = free[2];
        int firstStop = 0;
        while (free[firstStop] != stop) firstStop++;
        List<Integer> streamed = new ArrayList<>();
        GenerationResult r = new TextGenerator(m).generate(List.of(prompt),
                new GenerationConfig(12, SamplingParams.GREEDY, new int[] {stop}, 0), (row, tok) -> streamed.add(tok));
        assertArrayEquals(Arrays.copyOf(free, firstStop), r.tokens().getFirst());
        assertTrue(r.stopped()[0]);
        assertEquals(firstStop + 1, streamed.size());
        assertEquals(stop, streamed.getLast());
    }

    @Test
    void maxNewTokensBoundsTheOutput() {
        CausalLM m = TinyModels.random(TinyModels.LLAMA_CONFIG, 14);
        GenerationResult r = new TextGenerator(m).generate(List.of(new int[] {1, 2}),
                new GenerationConfig(3, SamplingParams.GREEDY, new int[0], 0), TokenListener.NONE);
        assertEquals(3, r.tokens().getFirst().length);
        assertFalse(r.stopped()[0]);
        assertEquals(2, r.decodeSteps());
    }

    @Test
    void seededSamplingIsReproducibleAndBf16CacheAgreesWithGreedy() {
        CausalLM m = TinyModels.random(TinyModels.LLAMA_CONFIG, 15);
        GenerationConfig sampled = new GenerationConfig(10, new SamplingParams(1.0, 10, 0.9, 99), new int[0], 0);
        int[] x = new TextGenerator(m).generate(List.of(new int[] {3, 4}), sampled, TokenListener.NONE).tokens().getFirst();
        int[] y = new TextGenerator(m).generate(List.of(new int[] {3, 4}), sampled, TokenListener.NONE).tokens().getFirst();
        assertArrayEquals(x, y);
        int[] f32 = new TextGenerator(m).generate(List.of(new int[] {3, 4}), GREEDY_12, TokenListener.NONE).tokens().getFirst();
        int[] bf16 = new TextGenerator(m, DType.BF16).generate(List.of(new int[] {3, 4}), GREEDY_12, TokenListener.NONE).tokens().getFirst();
        assertEquals(f32[0], bf16[0]);
    }

    private static int[] naiveGreedy(CausalLM m, int[] prompt, int n) {
        List<Integer> seq = new ArrayList<>();
        for (int p : prompt) seq.add(p);
        int[] out = new int[n];
        try (var _ = GradMode.noGrad()) {
            for (int i = 0; i < n; i++) {
                try (var _ = TensorScope.open()) {
                    long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                    Tensor logits = m.forward(Tensor.fromArray(ids, 1, ids.length));
                    float[] last = logits.select(1, ids.length - 1).toFloatArray();
                    out[i] = Sampler.argmax(last, 0, last.length);
                    seq.add(out[i]);
                }
            }
        }
        return out;
    }
}
