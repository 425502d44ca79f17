package io.liquid4j.liquid.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.liquid4j.liquid.data.Batch;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A packed batch's loss rows, as they are and compacted into one row without the padding: the
 * compacted row holds the tokens in order with one id per document, each counted position keeps
 * its target, and the model's loss and every gradient are those of the padded rows.
 */
class LossRowsTest {
    /**
     * Two packed rows of 8 (as BatchStream packs: each document's first label −100, padding with
     * its own trailing id and mask 0): row 0 holds documents of 3 and 5 tokens, row 1 one of 5
     * and three slots of padding.
     */
    private static Batch packed() {
        long[] ids = {3, 7, 9, 4, 11, 2, 6, 8, /* row 1 */ 5, 12, 1, 10, 13, 0, 0, 0};
        long[] labels = {-100, 7, 9, -100, 11, 2, 6, 8, /* row 1 */ -100, 12, 1, 10, 13, -100, -100, -100};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0}};
        int[][] segments = {{0, 0, 0, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 1, 1, 1}};
        return new Batch(2, 8, ids, labels, mask, segments, 10);
    }

    @Test
    void compactedRowDropsThePaddingAndKeepsEachTarget() {
        LossRows c = LossRows.compacted(packed());
        assertEquals(1, c.rows());
        assertEquals(13, c.length());
        assertArrayEquals(new long[] {3, 7, 9, 4, 11, 2, 6, 8, 5, 12, 1, 10, 13}, c.ids());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, c.segments()[0]);
        assertNull(c.mask());
        // position t predicts labels[t + 1] of its own row: a document's last token (label −100 next) predicts nothing
        assertArrayEquals(new long[] {0, 1, 3, 4, 5, 6, 8, 9, 10, 11}, c.positions());
        assertArrayEquals(new long[] {7, 9, 11, 2, 6, 8, 12, 1, 10, 13}, c.targets());

        LossRows asIs = LossRows.of(packed());
        assertEquals(10, asIs.positions().length);
        assertArrayEquals(new long[] {0, 1, 3, 4, 5, 6, 8, 9, 10, 11}, asIs.positions());
        assertArrayEquals(c.targets(), asIs.targets());
    }

    @Test
    void compactedRowGivesTheLossAndGradientsOfThePaddedRows() {
        CausalLM m = new CausalLM(ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 16, "hidden_size": 16, "intermediate_size": 32,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "tie_word_embeddings": false}"""), "t"),
                Init.random(new Generator(5)));
        double padded = lossAndGrads(m, LossRows.of(packed()));
        List<float[]> paddedGrads = grads(m);
        double compact = lossAndGrads(m, LossRows.compacted(packed()));
        List<float[]> compactGrads = grads(m);
        assertEquals(padded, compact, 1e-6 * padded);
        for (int i = 0; i < paddedGrads.size(); i++) assertArrayEquals(paddedGrads.get(i), compactGrads.get(i), 1e-6f, "parameter " + i);
    }

    private static double lossAndGrads(CausalLM m, LossRows r) {
        try (var _ = TensorScope.open()) {
            Tensor loss = m.countedLoss(Tensor.fromArray(r.ids(), r.rows(), r.length()), Tensor.fromArray(r.positions(), r.positions().length),
                    Tensor.fromArray(r.targets(), r.targets().length), r.mask(), r.segments(), 1e-4);
            loss.backward();
            return loss.item();
        }
    }

    private static List<float[]> grads(CausalLM m) {
        List<float[]> out = m.trainableParameters().stream().map(p -> p.value().grad().toFloatArray()).toList();
        m.trainableParameters().forEach(p -> p.value().setGrad(null));
        return out;
    }
}
