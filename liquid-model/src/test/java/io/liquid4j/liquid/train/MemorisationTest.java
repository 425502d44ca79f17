package io.liquid4j.liquid.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.generate.TokenListener;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.data.BatchStream;
import io.liquid4j.liquid.data.TrainingData;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Liquid recipe in miniature: a tiny model trained with next-token prediction on two
 * image–caption pairs, each as a text-to-image and a captioning sample, then draws the memorised
 * codes for each caption and writes the memorised caption for each image.
 */
class MemorisationTest {
    private static final int CODES = 16;
    private static final String[] CAPTIONS = {"a red circle", "a blue square"};
    private static final int[][] IMAGES = {{1, 2, 3, 4}, {9, 9, 0, 15}};

    @TempDir Path tmp;

    @Test
    void trainedModelDrawsTheCodesOfACaptionAndCaptionsTheCodes() throws Exception {
        TinyLiquidModel.writeTokenizer(tmp);
        Tokenizer tok = Tokenizer.load(tmp);
        SequenceBuilder seq = new SequenceBuilder(tok, TinyLiquidModel.TEXT_VOCAB, CODES, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND);
        List<TrainingSequence> samples = new java.util.ArrayList<>();
        for (int i = 0; i < CAPTIONS.length; i++) {
            samples.add(seq.textToImage(CAPTIONS[i], IMAGES[i], 0, false));
            samples.add(seq.caption(IMAGES[i], CAPTIONS[i]));
        }
        CausalLM m = new CausalLM(ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 56, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
                 "tie_word_embeddings": false}"""), "tiny"), Init.random(new Generator(11)));
        BatchStream stream = new BatchStream(TrainingData.of(samples), 4, 128, false, false, 0, 0);
        int steps = 150;
        double last = Double.NaN;
        try (Trainer t = new Trainer(m, new Trainer.Options(1.0, 1e-4, 0, new LrSchedule(3e-3, 10, steps, false)))) {
            for (int s = 0; s < steps; s++) last = t.step(List.of(stream.next())).loss();
        }
        assertTrue(last < 0.05, "the four samples should be memorised, final loss " + last);

        ImageGenerator images = new ImageGenerator(m, TinyLiquidModel.TEXT_VOCAB, CODES, true, DType.F32);
        TextGenerator text = new TextGenerator(m, DType.F32, TinyLiquidModel.TEXT_VOCAB);
        for (int i = 0; i < CAPTIONS.length; i++) {
            int[][] drawn = images.generate(List.of(seq.imagePrompt(CAPTIONS[i])), seq.unconditionalPrompt(), IMAGES[i].length, 1.0,
                    new SamplingParams(1.0, 1, 1.0, 0), 0, s -> { });
            assertArrayEquals(IMAGES[i], drawn[0], "codes drawn for \"" + CAPTIONS[i] + "\"");
            int[] caption = text.generate(List.of(seq.captionPrompt(IMAGES[i])),
                    new GenerationConfig(40, SamplingParams.GREEDY, new int[] {TinyLiquidModel.EOS}, 0), TokenListener.NONE).tokens().getFirst();
            assertArrayEquals(tok.encode(CAPTIONS[i], false), caption, "caption written for image " + i);
        }
    }
}
