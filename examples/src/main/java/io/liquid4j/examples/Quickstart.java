package io.liquid4j.examples;

import io.liquid4j.api.GenerationSettings;
import io.liquid4j.api.ImageSettings;
import io.liquid4j.api.LiquidModel;
import io.liquid4j.api.RandomModel;
import io.liquid4j.api.Training;
import io.liquid4j.api.TrainingExample;
import io.liquid4j.api.TrainingSettings;
import io.liquid4j.api.Vqgan;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The liquid4j embedding API end to end, on a tiny Liquid model with random weights that it
 * creates itself (so it needs no download): tokenize, generate text with streaming, run the
 * VQGAN, generate images with classifier-free guidance, caption an image, train a few steps,
 * save and reload. Its output is noise — the weights are random — but every call is the one
 * a real model takes (point {@link LiquidModel#load} at a converted Liquid checkpoint instead).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... io.liquid4j.examples.Quickstart OUT_DIR}
 */
public final class Quickstart {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "quickstart-out");
        deleteTree(out);
        Files.createDirectories(out);
        long t0 = System.nanoTime();

        // 0. a tiny Liquid model: BPE tokenizer from a corpus, a 2-layer Llama, a random VQGAN
        List<String> corpus = List.of("a red square on the left", "a blue circle on the right", "a green triangle in the middle");
        Path modelDir = RandomModel.builder().corpus(corpus).hiddenSize(64).layers(2).heads(4).context(256)
                .liquid(64, 32, 8)           // 64 image codes; 32-px images, 8x downsampling: 4x4 = 16 codes per image
                .seed(42).build().writeTo(out.resolve("tiny-liquid"));

        // 1. load it (CPU, weights as stored)
        LiquidModel model = LiquidModel.loader(modelDir).device("cpu").load();
        System.out.println("loaded " + model.config() + (model.isLiquid() ? " (Liquid)" : ""));

        // 2. tokenize and back
        int[] ids = model.tokenize("a red square");
        System.out.println("tokenize: " + Arrays.toString(ids) + " -> \"" + model.detokenize(ids) + "\"; EOS ids " + Arrays.toString(model.eosIds()));

        // 3. generate text, streaming each piece as it comes
        GenerationSettings sampling = GenerationSettings.builder().temperature(0.8).topP(0.95).seed(7).maxNewTokens(12).build();
        System.out.print("generate: a red");
        String text = model.generate("a red", sampling, piece -> System.out.print(piece));
        System.out.println();
        check(model.generate("a red", sampling).equals(text), "the same seed gives the same text");

        // 4. the VQGAN: an image to codes and back
        Vqgan vq = model.vqgan();
        BufferedImage picture = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 48, 48);
        g.setColor(Color.RED);
        g.fillRect(4, 12, 20, 20);
        g.dispose();
        int[] codes = vq.encode(picture);
        BufferedImage reconstruction = vq.decode(codes);
        ImageIO.write(reconstruction, "png", out.resolve("vq-roundtrip.png").toFile());
        System.out.println("vqgan: " + codes.length + " codes " + Arrays.toString(codes) + " -> " + reconstruction.getWidth() + "x" + reconstruction.getHeight() + " image");

        // 5. text to image with classifier-free guidance
        ImageSettings imageSettings = ImageSettings.builder().cfg(5.0).temperature(1.0).topK(32).seed(1).count(2).build();
        List<BufferedImage> images = model.generateImages("a red square", imageSettings);
        for (int i = 0; i < images.size(); i++) ImageIO.write(images.get(i), "png", out.resolve("generated-" + i + ".png").toFile());
        System.out.println("generateImages: " + images.size() + " images of " + images.getFirst().getWidth() + " px, codes of the first: "
                + Arrays.toString(model.generateImageCodes("a red square", imageSettings, null)[0]));

        // 6. caption an image
        System.out.println("caption: \"" + model.caption(picture, GenerationSettings.greedy(8)) + "\"");

        // 7. train a few steps on text, text-to-image and captioning examples, then save and reload
        List<TrainingExample> batch = List.of(
                TrainingExample.text("a red square on the left"),
                TrainingExample.textToImage("a red square", codes),
                TrainingExample.caption(codes, "a red square"));
        TrainingSettings ts = TrainingSettings.builder().learningRate(3e-3).warmupSteps(1).totalSteps(6).build();
        Path trained;
        double first = Double.NaN, last = Double.NaN;
        try (Training training = model.trainer(ts)) {
            for (int step = 0; step < ts.totalSteps(); step++) {
                Training.Step s = training.step(batch);
                if (step == 0) first = s.loss();
                last = s.loss();
                System.out.printf("train step %d: loss %.4f, lr %.2e, grad norm %.3f%n", s.step() + 1, s.loss(), s.learningRate(), s.gradNorm());
            }
            trained = training.save(out.resolve("trained"));
        }
        check(last < first, "the loss falls while training (" + first + " -> " + last + ")");
        LiquidModel reloaded = LiquidModel.load(trained);
        System.out.println("reloaded " + trained + ": \"" + reloaded.generate("a red", GenerationSettings.greedy(6)) + "\"");

        System.out.printf("quickstart: all steps passed in %.1f s (outputs in %s)%n", (System.nanoTime() - t0) / 1e9, out);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError("quickstart check failed: " + what);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
