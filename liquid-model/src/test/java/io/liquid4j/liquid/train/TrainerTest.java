package io.liquid4j.liquid.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.liquid.data.Batch;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.io.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {
    private static CausalLM model(long seed) {
        return new CausalLM(ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 32, "hidden_size": 16, "intermediate_size": 32,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "tie_word_embeddings": false}"""), "t"),
                Init.random(new Generator(seed)));
    }

    private static Trainer trainer(CausalLM m) {
        return new Trainer(m, new Trainer.Options(1.0, 1e-4, 0.01, new LrSchedule(1e-2, 0, 10, false)));
    }

    /** A one-row batch; labels −100 on the first `ignored` positions. */
    private static Batch row(long[] ids, int ignored) {
        long[] labels = ids.clone();
        for (int i = 0; i < ignored; i++) labels[i] = -100;
        int counted = 0;
        for (int t = 0; t + 1 < ids.length; t++) if (labels[t + 1] != -100) counted++;
        return new Batch(1, ids.length, ids, labels, null, null, counted);
    }

    private static float[] flatWeights(CausalLM m) {
        try (var _ = GradMode.noGrad()) {
            return m.trainableParameters().stream().map(p -> p.value().to(DType.F32).toFloatArray())
                    .reduce(new float[0], (a, b) -> {
                        float[] r = java.util.Arrays.copyOf(a, a.length + b.length);
                        System.arraycopy(b, 0, r, a.length, b.length);
                        return r;
                    });
        }
    }

    @Test
    void accumulatedStepEqualsOneBatchOfAllRows() {
        long[] a = {1, 5, 9, 3, 7, 2}, b = {4, 8, 6};
        CausalLM m1 = model(1), m2 = model(1);
        Trainer.StepResult split, whole;
        try (Trainer t1 = trainer(m1); Trainer t2 = trainer(m2)) {
            split = t1.step(List.of(row(a, 0), row(b, 1)));
            // both rows in one right-padded batch: b padded with 0s, labels −100, mask 0
            long[] ids = {1, 5, 9, 3, 7, 2, 4, 8, 6, 0, 0, 0};
            long[] labels = {1, 5, 9, 3, 7, 2, -100, 8, 6, -100, -100, -100};
            int[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}};
            whole = t2.step(List.of(new Batch(2, 6, ids, labels, mask, null, 5 + 2)));
        }
        assertEquals(7, split.tokens());
        assertEquals(whole.loss(), split.loss(), 1e-6, "token-weighted over all micro-batches");
        assertEquals(whole.gradNorm(), split.gradNorm(), 1e-5);
        assertArrayEquals(flatWeights(m2), flatWeights(m1), 1e-6f);
    }

    @Test
    void nonFiniteLossIsSkippedAndNothingApplied() {
        CausalLM m = model(2);
        try (var _ = GradMode.noGrad()) {
            m.trainableParameters().getFirst().value().narrow(0, 3, 1).fill(Double.NaN);   // token 3's embedding row
        }
        float[] before = flatWeights(m);
        try (Trainer t = trainer(m)) {
            Trainer.StepResult r = t.step(List.of(row(new long[] {1, 3, 5, 7}, 0)));
            assertTrue(r.skipped(), "a NaN loss must be skipped");
            assertTrue(r.why().contains("loss"), r.why());
            assertEquals(0, t.optimizer().stepCount());
            assertEquals(1, t.steps());
            r = t.step(List.of(row(new long[] {1, 5, 7, 9}, 0)));   // without token 3 the next step is fine
            assertFalse(r.skipped(), String.valueOf(r.why()));
        }
        float[] after = flatWeights(m);
        assertEquals(before.length, after.length);
    }

    @Test
    void bf16WeightsLearnThroughF32MasterCopies() {
        CausalLM m = model(3);
        try (var _ = GradMode.noGrad()) {
            m.to(DType.BF16, m.device());
        }
        long[] ids = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
        double first = 0, last = 0;
        try (Trainer t = new Trainer(m, new Trainer.Options(1.0, 0, 0, new LrSchedule(3e-2, 2, 40, true)))) {
            assertEquals(DType.BF16, t.weightDType());
            for (int s = 0; s < 40; s++) {
                Trainer.StepResult r = t.step(List.of(row(ids, 0)));
                if (s == 0) first = r.loss();
                last = r.loss();
            }
            assertTrue(t.optimizer().stateTensors(m.namedParameters()).keySet().stream().anyMatch(k -> k.endsWith(".master")));
        }
        assertTrue(last < 0.3 * first, "BF16 loss fell only from " + first + " to " + last);
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LrSchedule s = new LrSchedule(1.0, 4, 14, true);
        assertEquals(0.25, s.at(0), 1e-12);
        assertEquals(1.0, s.at(3), 1e-12);
        assertEquals(1.0, s.at(4), 1e-12);
        assertEquals(0.5, s.at(9), 1e-12);
        assertEquals(0.0, s.at(14), 1e-12);
        assertEquals(1.0, new LrSchedule(1.0, 0, 5, false).at(4), 1e-12);
    }

    @Test
    void constantScheduleDecaysOverItsLastSteps() {
        LrSchedule s = new LrSchedule(1.0, 2, 12, false, 4);
        assertEquals(0.5, s.at(0), 1e-12);
        assertEquals(1.0, s.at(7), 1e-12);
        assertEquals(0.8, s.at(8), 1e-12);
        assertEquals(0.2, s.at(11), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1.0, 2, 12, false, 11));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1.0, 2, 12, true, 4));
    }
}
