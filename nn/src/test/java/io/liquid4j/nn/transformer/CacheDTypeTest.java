package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CausalLM.cacheDType, the KV cache dtype that loses nothing: BF16 for a BF16 model (its keys and
 * values are bf16 numbers before they reach the cache), F32 for F32 and F16 ones — and a 16-bit
 * model decodes bit for bit the same with a cache of its dtype as with an F32 one (prefill, then
 * decode steps, batch of two rows).
 */
class CacheDTypeTest {
    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void aBf16ModelDecodesTheSameBitsWithAHalfSizeCache(String family) {
        CausalLM f32 = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        assertEquals(DType.F32, f32.cacheDType(), "an F32 model keeps an F32 cache");
        CausalLM bf16 = CausalLM.fromPretrained(Fixtures.modelDir(family), DType.BF16, Device.CPU);
        assertEquals(DType.BF16, bf16.cacheDType(), "a BF16 model's cache");
        try (KVCache c = bf16.newCache(1, 4)) {
            assertEquals(DType.BF16, c.keys(0).dtype(), "newCache takes cacheDType");
        }
        sameBits(family, DType.BF16);
    }

    /**
     * An F16 model keeps an F32 cache by default (an F16 cache decoded slower than F32 at 1024
     * positions, BENCHMARKS.md), though an F16 one would give the same bits too.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void anF16ModelKeepsAnF32CacheThoughAnF16OneIsExact(String family) {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), DType.F16, Device.CPU);
        assertEquals(DType.F32, m.cacheDType(), "an F16 model's cache");
        sameBits(family, DType.F16);
    }

    private static void sameBits(String family, DType type) {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), type, Device.CPU);
        Tensor ids = Fixtures.reference(family).get("ids");
        int len = ids.size(1), prefill = Math.min(3, len - 1);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open();
             KVCache wide = new KVCache(m.config(), 2, len, DType.F32, Device.CPU);
             KVCache half = new KVCache(m.config(), 2, len, type, Device.CPU)) {
            int[] row = Fixtures.ids(ids)[0], reversed = new int[len];
            for (int i = 0; i < len; i++) reversed[i] = row[len - 1 - i];
            Tensor two = Fixtures.idsTensor(new int[][] {row, reversed});
            assertBits(family + " " + type + " prefill", m.forward(two.narrow(1, 0, prefill), null, wide), m.forward(two.narrow(1, 0, prefill), null, half));
            for (int t = prefill; t < len; t++) {
                Tensor step = two.narrow(1, t, 1);
                assertBits(family + " " + type + " decode step " + t, m.forwardLast(step, null, wide), m.forwardLast(step, null, half));
            }
        }
    }

    /** The same logits bit for bit (assertArrayEquals without a delta compares float bits). */
    private static void assertBits(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), what + ": logits with a 16-bit cache against an F32 one");
    }
}
