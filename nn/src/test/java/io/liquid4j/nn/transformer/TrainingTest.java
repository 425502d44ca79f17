package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.nn.optim.CosineSchedule;
import io.liquid4j.nn.optim.GradClip;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A tiny Llama trained from scratch with AdamW on a short text: the loss must fall well below its start. */
class TrainingTest {
    static final String TEXT = "the cat sat on the mat. the dog sat on the log. the cat saw the dog. "
            + "the dog saw the cat. a cat and a dog sat on a mat and a log. ";

    @Test
    void lossFallsOnASmallText() {
        ModelConfig c = ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 128, "hidden_size": 32, "intermediate_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "tie_word_embeddings": true}"""), "test config");
        CausalLM m = new CausalLM(c, Init.random(new Generator(1)));
        byte[] bytes = TEXT.getBytes(StandardCharsets.US_ASCII);
        long[] ids = new long[bytes.length];
        for (int i = 0; i < ids.length; i++) ids[i] = bytes[i];
        Tensor batch = Tensor.fromArray(ids, 1, ids.length);
        int steps = 25;
        CosineSchedule lr = new CosineSchedule(2e-2, 2e-3, 3, steps);
        double first = 0, last = 0;
        try (AdamW opt = new AdamW(m.trainableParameters(), lr.peak(), 0.9, 0.95, 1e-8, 0.01)) {
            for (int step = 0; step < steps; step++) {
                try (var _ = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor loss = m.nextTokenLoss(batch);
                    loss.backward();
                    GradClip.clipGradNorm(m.trainableParameters(), 1.0);
                    opt.setLearningRate(lr.at(step));
                    opt.step();
                    last = loss.item();
                    if (step == 0) first = last;
                }
            }
        }
        assertTrue(first > 4.0, "initial loss " + first + " should be near ln(128) = 4.85");
        assertTrue(last < 0.5 * first, "loss fell only from " + first + " to " + last);
    }
}
