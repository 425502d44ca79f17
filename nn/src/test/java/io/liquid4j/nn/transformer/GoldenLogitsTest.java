package io.liquid4j.nn.transformer;

import static io.liquid4j.nn.transformer.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logits of the four families against the PyTorch fp32 eager reference (spec/models.md):
 * prefill at every position, step-by-step KV-cache decoding, a left-padded batch (prefill and
 * decode), and BF16 weights.
 */
class GoldenLogitsTest {
    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void prefillMatchesAtEveryPosition(String family) {
        Map<String, Tensor> ref = Fixtures.reference(family);
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor logits = m.forward(ref.get("ids"));
            Tensor expected = ref.get("logits");
            assertEquals(expected.size(2), logits.size(2));
            for (int t = 0; t < expected.size(1); t++) {
                assertClose(family + " position " + t, logits.select(1, t), expected.select(1, t), TOL);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void kvCacheDecodeMatchesStepByStep(String family) {
        Map<String, Tensor> ref = Fixtures.reference(family);
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        Tensor ids = ref.get("ids"), expected = ref.get("logits");
        int len = ids.size(1);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open(); KVCache cache = m.newCache(1, len + 2)) {
            // one token at a time from an empty cache
            for (int t = 0; t < len; t++) {
                Tensor last = m.forwardLast(ids.narrow(1, t, 1), null, cache);
                assertClose(family + " decode step " + t, last.select(0, 0), expected.select(1, t).select(0, 0), TOL);
            }
            // prefill of 3 tokens, then decode the rest
            cache.reset();
            Tensor pre = m.forward(ids.narrow(1, 0, 3), null, cache);
            for (int t = 0; t < 3; t++) assertClose(family + " prefill " + t, pre.select(1, t), expected.select(1, t), TOL);
            for (int t = 3; t < len; t++) {
                Tensor last = m.forwardLast(ids.narrow(1, t, 1), null, cache);
                assertClose(family + " decode after prefill " + t, last.select(0, 0), expected.select(1, t).select(0, 0), TOL);
            }
            assertEquals(len, cache.length());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void leftPaddedBatchMatches(String family) {
        Map<String, Tensor> ref = Fixtures.reference(family);
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        Tensor ids = ref.get("batch_ids"), expected = ref.get("batch_logits");
        int[][] mask = Fixtures.ids(ref.get("batch_mask"));
        int len = ids.size(1);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open(); KVCache cache = m.newCache(2, len)) {
            Tensor logits = m.forward(ids, mask, null);
            checkValid(family + " padded prefill", logits, expected, mask, 0, len);
            // the same batch through the cache: 5 slots prefilled, then one slot per step
            int pre = 5;
            Tensor first = m.forward(ids.narrow(1, 0, pre), prefix(mask, pre), cache);
            checkValid(family + " padded cache prefill", first, expected, mask, 0, pre);
            for (int t = pre; t < len; t++) {
                Tensor step = m.forward(ids.narrow(1, t, 1), prefix(mask, t + 1), cache);
                checkValid(family + " padded decode", step, expected.narrow(1, t, 1), mask, t, 1);
            }
        }
    }

    private static int[][] prefix(int[][] mask, int n) {
        int[][] r = new int[mask.length][];
        for (int i = 0; i < mask.length; i++) r[i] = java.util.Arrays.copyOf(mask[i], n);
        return r;
    }

    /** Compares positions [from, from + n) of each row that are real tokens (mask 1). */
    private static void checkValid(String what, Tensor actual, Tensor expected, int[][] mask, int from, int n) {
        for (int b = 0; b < mask.length; b++) {
            for (int t = 0; t < n; t++) {
                if (mask[b][from + t] == 0) continue;
                assertClose(what + " row " + b + " position " + (from + t), actual.select(0, b).select(0, t),
                        expected.select(0, b).select(0, t), TOL);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void bf16WeightsStayWithinTwoPercent(String family) {
        Map<String, Tensor> ref = Fixtures.reference(family);
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), DType.BF16, Device.CPU);
        for (var p : m.parameters()) assertEquals(DType.BF16, p.value().dtype());
        Tensor ids = ref.get("ids"), expected = ref.get("logits");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open(); KVCache cache = m.newCache(1, ids.size(1))) {
            Tensor logits = m.forward(ids);
            for (int t = 0; t < ids.size(1); t++) {
                assertClose(family + " bf16 position " + t, logits.select(1, t), expected.select(1, t), 2e-2);
                Tensor step = m.forwardLast(ids.narrow(1, t, 1), null, cache);
                assertClose(family + " bf16 decode " + t, step.select(0, 0), expected.select(1, t).select(0, 0), 2e-2);
            }
        }
    }
}
