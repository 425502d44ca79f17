package io.liquid4j.nn.transformer;

import static io.liquid4j.nn.transformer.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Documents packed in one row with segment ids give exactly the logits of running each alone
 * (attention confined to the document, RoPE positions restarting), for every family, and a
 * padding hole inside a row is the same as the row without that token (global attention).
 */
class PackedSequencesTest {
    private static final long[] DOC_A = {2, 17, 5, 40, 9, 33, 12};
    private static final long[] DOC_B = {2, 8, 41, 4, 25};
    private static final long[] DOC_C = {2, 3, 7};

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void packedRowMatchesSeparateDocuments(String family) {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        try (var _ = TensorScope.open()) {
            long[][] docs = {DOC_A, DOC_B, DOC_C};
            int total = DOC_A.length + DOC_B.length + DOC_C.length;
            long[] packed = new long[total];
            int[][] segments = new int[1][total];
            for (int d = 0, at = 0; d < docs.length; d++) {
                for (long id : docs[d]) {
                    segments[0][at] = 10 + d;    // any ids >= 0 work; they need not start at 0
                    packed[at++] = id;
                }
            }
            Tensor logits = m.logits(m.hiddenStates(Tensor.fromArray(packed, 1, total), null, segments, null));
            for (int d = 0, at = 0; d < docs.length; d++) {
                Tensor alone = m.forward(Tensor.fromArray(docs[d], 1, docs[d].length));
                assertClose(family + " document " + d + " packed vs alone", logits.narrow(1, at, docs[d].length), alone, 1e-5);
                at += docs[d].length;
            }
        }
    }

    /** Not Gemma 2: its sliding window counts slots, so a hole changes which tokens are in the window (as in HF). */
    @ParameterizedTest
    @ValueSource(strings = {"gemma", "qwen2", "llama"})
    void paddingHoleEqualsRowWithoutIt(String family) {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        try (var _ = TensorScope.open()) {
            long[] withHole = {2, 17, 5, 0, 40, 9};
            int[][] mask = {{1, 1, 1, 0, 1, 1}};
            long[] without = {2, 17, 5, 40, 9};
            Tensor holed = m.forward(Tensor.fromArray(withHole, 1, 6), mask, null);
            Tensor plain = m.forward(Tensor.fromArray(without, 1, 5));
            assertClose(family + " before the hole", holed.narrow(1, 0, 3), plain.narrow(1, 0, 3), 1e-5);
            assertClose(family + " after the hole", holed.narrow(1, 4, 2), plain.narrow(1, 3, 2), 1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void badSegmentsAreRejected(String family) {
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        Tensor ids = Tensor.fromArray(new long[] {2, 17, 5}, 1, 3);
        assertThrows(IllegalArgumentException.class, () -> m.hiddenStates(ids, null, new int[][] {{0, 0}}, null));
        assertThrows(IllegalArgumentException.class, () -> m.hiddenStates(ids, null, new int[][] {{0, -1, 0}}, null));
    }
}
