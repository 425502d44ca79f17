package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.cpu.NativeMemory;
import io.liquid4j.tensor.io.Json;
import org.junit.jupiter.api.Test;

/**
 * A long sequence costs memory linear in T: attention keeps O(T·D) (never the T×T scores) and an
 * inference forward holds one layer's working set. The bounds sit far below what one T×T score
 * matrix per head would take, so a regression to materialised scores fails loudly.
 */
class LongSequenceMemoryTest {
    private static CausalLM model() {
        ModelConfig c = ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 64, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "tie_word_embeddings": true}"""), "test config");
        return new CausalLM(c, Init.random(new Generator(3)));
    }

    private static Tensor ids(int t) {
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) ids[i] = (i * 7 + 3) % 64;
        return Tensor.fromArray(ids, 1, t);
    }

    /**
     * Lets the Cleaner free the native memory of earlier tests' unreachable tensors first: a free
     * on the Cleaner thread during a measurement lowers the live count under the base and made the
     * peak at T look small (a flaky "2791552 → 11452416 bytes" in a full suite run).
     */
    private static void settle() {
        long last = -1;
        for (int i = 0; i < 50 && NativeMemory.liveBytes() != last; i++) {
            last = NativeMemory.liveBytes();
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Peak native bytes allocated while running step on t tokens (above what was live before). */
    private static long peak(int t, boolean training) {
        CausalLM m = model();
        Tensor ids = ids(t);
        settle();
        try (var _ = TensorScope.open(); var _ = training ? GradMode.enableGrad() : GradMode.noGrad()) {
            long base = NativeMemory.liveBytes();
            NativeMemory.resetPeak();
            if (training) m.nextTokenLoss(ids).backward();
            else m.forwardLast(ids, null, null);
            return NativeMemory.peakBytes() - base;
        }
    }

    @Test
    void inferenceForwardIsLinearInT() {
        long p1 = peak(1024, false), p2 = peak(2048, false);
        assertTrue(p2 < 2.5 * p1, "doubling T from 1024 to 2048 took the inference peak from " + p1 + " to " + p2 + " bytes (quadratic would be 4x)");
        assertTrue(p2 < 4L * 2048 * 2048 * Float.BYTES, "the 4 heads' T×T scores alone would be 64 MiB; the whole forward peaked at " + p2);
    }

    @Test
    void trainingStepIsLinearInT() {
        long p1 = peak(1024, true), p2 = peak(2048, true);
        assertTrue(p2 < 2.5 * p1, "doubling T from 1024 to 2048 took the training peak from " + p1 + " to " + p2 + " bytes (quadratic would be 4x)");
    }
}
