package io.liquid4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding API end to end on tiny random models it creates itself. */
class LiquidModelApiTest {
    private static final List<String> CORPUS = List.of("a red square on the left", "a blue circle on the right", "the green triangle is small");

    @Test
    void textModelGeneratesStreamsAndTokenizes(@TempDir Path tmp) {
        Path dir = RandomModel.builder().corpus(CORPUS).hiddenSize(32).layers(1).heads(2).context(64).build().writeTo(tmp.resolve("lm"));
        LiquidModel m = LiquidModel.loader(dir).device("cpu").load();
        assertFalse(m.isLiquid());
        int[] ids = m.tokenize("a red square");
        assertEquals(m.tokenizer().bosId(), ids[0]);
        assertEquals("a red square", m.detokenize(ids));
        assertTrue(m.eosIds().length > 0);

        StringBuilder streamed = new StringBuilder();
        String text = m.generate("a red", GenerationSettings.builder().maxNewTokens(8).temperature(0.8).seed(3).build(), streamed::append);
        assertEquals(text, streamed.toString());
        String again = m.generate("a red", GenerationSettings.builder().maxNewTokens(8).temperature(0.8).seed(3).build());
        assertEquals(text, again, "same seed, same text");

        List<Integer> got = new ArrayList<>();
        int[] out = m.generate(ids, GenerationSettings.builder().maxNewTokens(5).stopIds().build(), got::add);
        assertEquals(5, out.length, "no stop ids: runs to maxNewTokens");
        assertEquals(5, got.size());
        // the context cuts maxNewTokens
        assertTrue(m.generate(ids, GenerationSettings.builder().maxNewTokens(1000).stopIds().build(), null).length <= 64 - ids.length);

        assertThrows(IllegalArgumentException.class, () -> GenerationSettings.builder().topP(0).build());
        assertThrows(IllegalStateException.class, m::vqgan);
        assertThrows(IllegalArgumentException.class, () -> RandomModel.builder().build().writeTo(dir), "a non-empty directory is refused");
    }

    @Test
    void liquidModelImagesCaptionsVqganAndTraining(@TempDir Path tmp) {
        Path dir = RandomModel.builder().corpus(CORPUS).hiddenSize(32).layers(1).heads(2).context(128)
                .liquid(32, 16, 4).build().writeTo(tmp.resolve("liquid"));
        LiquidModel m = LiquidModel.load(dir);
        assertTrue(m.isLiquid());
        assertEquals(16, m.layout().orElseThrow().tokensPerImage());

        Vqgan vq = m.vqgan();
        assertEquals(4, vq.gridSize());
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        img.setRGB(5, 5, 0xff0000);
        int[] codes = vq.encode(img);
        assertEquals(16, codes.length);
        BufferedImage back = vq.decode(codes);
        assertEquals(16, back.getWidth());
        assertEquals(16, vq.encodeForUnderstanding(img).length);

        int[][] gen = m.generateImageCodes("a red square", ImageSettings.builder().cfg(3).count(2).seed(1).build(), null);
        assertEquals(2, gen.length);
        for (int[] g : gen) for (int c : g) assertTrue(c >= 0 && c < 32);
        List<BufferedImage> images = m.generateImages("a red square", ImageSettings.defaults());
        assertEquals(1, images.size());
        assertEquals(16, images.getFirst().getHeight());

        String caption = m.caption(img, GenerationSettings.greedy(6));
        assertTrue(caption.length() <= 6 * 16);

        double first, last = 0;
        try (Training t = m.trainer(TrainingSettings.builder().learningRate(3e-3).warmupSteps(0).totalSteps(8).cosine(false).decaySteps(2).build())) {
            List<TrainingExample> batch = List.of(TrainingExample.text("a red square on the left"), TrainingExample.textToImage("a red square", codes),
                    TrainingExample.caption(codes, "a red square"));
            first = t.step(batch).loss();
            double[] rates = new double[8];
            for (int i = 1; i < 8; i++) {
                Training.Step step = t.step(batch);
                last = step.loss();
                rates[i] = step.learningRate();
            }
            assertEquals(8, t.steps());
            assertEquals(3e-3, rates[5], 1e-12, "constant until the last two steps");
            assertEquals(2e-3, rates[6], 1e-12);
            assertEquals(1e-3, rates[7], 1e-12);
            Path saved = t.save(tmp.resolve("trained"));
            assertTrue(Files.isRegularFile(saved.resolve("model.safetensors")));
            LiquidModel reloaded = LiquidModel.load(saved);
            assertTrue(reloaded.isLiquid());
            assertArrayEquals(m.tokenize("a blue circle"), reloaded.tokenize("a blue circle"));
            assertEquals(4, reloaded.vqgan().gridSize(), "the saved liquid.json still finds the VQGAN");
        }
        assertTrue(last < first, "the loss falls: " + first + " -> " + last);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingSettings.builder().decaySteps(3).build());
        assertTrue(e.getMessage().contains("decaySteps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingSettings.builder().cosine(false).totalSteps(10).warmupSteps(5).decaySteps(6).build());
    }
}
