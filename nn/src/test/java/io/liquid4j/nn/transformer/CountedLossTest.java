package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CausalLM#countedLoss} (the lm_head on the counted rows only) against {@link CausalLM#loss}
 * over all positions with the others ignored: the same loss and the same gradient for every
 * parameter, in a packed batch (two documents per row, padding) with z-loss, for both block
 * arrangements (the last block's MLP half runs on the counted rows alone).
 */
class CountedLossTest {
    private static final int ROWS = 2, LEN = 12, VOCAB = 96;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2"})
    void countedRowsGiveTheLossAndGradientsOfTheFullHead(String family) {
        CausalLM m = model(family);
        Random r = new Random(7);
        long[] ids = new long[ROWS * LEN], targets = new long[ROWS * LEN];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(VOCAB);
            targets[i] = r.nextInt(3) == 0 ? -100 : r.nextInt(VOCAB);   // about a third ignored, as prompts and padding are
        }
        int[][] mask = {ones(LEN), ones(LEN)}, segments = new int[ROWS][LEN];
        mask[1][LEN - 1] = mask[1][LEN - 2] = 0;                        // row 1 ends in two padding slots
        targets[2 * LEN - 1] = targets[2 * LEN - 2] = targets[2 * LEN - 3] = -100;
        for (int t = 0; t < LEN; t++) {
            segments[0][t] = t < 5 ? 0 : 1;                              // two documents packed in row 0
            segments[1][t] = t < LEN - 2 ? 0 : 1;
        }
        List<Long> pos = new ArrayList<>(), tgt = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != -100) {
                pos.add((long) i);
                tgt.add(targets[i]);
            }
        }
        double zLoss = 1e-3;

        double full;
        List<float[]> fullGrads;
        try (var _ = TensorScope.open()) {
            Tensor loss = m.loss(Tensor.fromArray(ids, ROWS, LEN), Tensor.fromArray(targets, ROWS * LEN), mask, segments, -100, zLoss);
            loss.backward();
            full = loss.item();
            fullGrads = grads(m);
        }
        double counted;
        List<float[]> countedGrads;
        try (var _ = TensorScope.open()) {
            Tensor loss = m.countedLoss(Tensor.fromArray(ids, ROWS, LEN), Tensor.fromArray(longs(pos), pos.size()),
                    Tensor.fromArray(longs(tgt), tgt.size()), mask, segments, zLoss);
            loss.backward();
            counted = loss.item();
            countedGrads = grads(m);
        }
        assertTrue(full > 1, "a random model's loss is near ln(" + VOCAB + "), got " + full);
        assertEquals(full, counted, 1e-6 * full);
        for (int i = 0; i < fullGrads.size(); i++) assertArrayEquals(fullGrads.get(i), countedGrads.get(i), 1e-6f, "parameter " + i);
    }

    @Test
    void positionsAndTargetsMustPair() {
        CausalLM m = model("llama");
        var e = assertThrows(IllegalArgumentException.class, () -> m.countedLoss(Tensor.fromArray(new long[LEN], 1, LEN),
                Tensor.fromArray(new long[] {0, 1, 2}, 3), Tensor.fromArray(new long[] {5, 6}, 2), null, null, 0));
        assertTrue(e.getMessage().contains("positions [M] and targets [M]"), e.getMessage());
    }

    /** A Llama (pre-norm blocks), or a Gemma 2 (sandwich blocks, a sliding window shorter than a row, both softcaps). */
    private static CausalLM model(String family) {
        String json = family.equals("llama") ? """
                {"model_type": "llama", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "tie_word_embeddings": false}""" : """
                {"model_type": "gemma2", "vocab_size": 96, "hidden_size": 32, "intermediate_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
                 "query_pre_attn_scalar": 8, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
                 "sliding_window": 4, "layer_types": ["sliding_attention", "full_attention"]}""";
        return new CausalLM(ConfigParser.parse(Json.parseObject(json), "test config"), Init.random(new Generator(3)));
    }

    /** Each trainable parameter's gradient, then cleared for the next pass. */
    private static List<float[]> grads(CausalLM m) {
        List<float[]> out = m.trainableParameters().stream().map(p -> p.value().grad().toFloatArray()).toList();
        m.trainableParameters().forEach(p -> p.value().setGrad(null));
        return out;
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    private static long[] longs(List<Long> xs) {
        return xs.stream().mapToLong(Long::longValue).toArray();
    }
}
