package io.liquid4j.demo;

import io.liquid4j.demo.world.Judgement;
import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.Shape;
import io.liquid4j.demo.world.Size;
import io.liquid4j.demo.world.ShapeScorer;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.GradMode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Developer tool (not a test): how often the scorer still judges a VQGAN's round trips of 200
 * ShapesWorld renders right (held-out pairs included) — the measure behind the demo's VQGAN
 * settings in BENCHMARKS.md. Run on the demo module's test classpath with one or more VQGAN
 * directories as arguments; with -Dverbose=true it also lists where the misses fall (colour, kind).
 */
public final class VqScore {
    public static void main(String[] args) {
        ShapesWorld world = new ShapesWorld(32);
        ShapeScorer scorer = new ShapeScorer();
        boolean verbose = Boolean.getBoolean("verbose");
        for (String dir : args) {
            VQModel vq = VQModel.load(Path.of(dir));
            SplittableRandom rng = new SplittableRandom(99);
            int n = 200, colour = 0, kind = 0, position = 0, all = 0;
            double psnr = 0;
            java.util.Map<String, Integer> seen = new java.util.TreeMap<>(), missed = new java.util.TreeMap<>();
            java.util.Map<String, Integer> colourMissed = new java.util.TreeMap<>(), kindMissed = new java.util.TreeMap<>();
            try (var _ = GradMode.noGrad()) {
                for (int i = 0; i < n; i++) {
                    Scene s = world.sample(rng, true);
                    RgbImage img = world.render(s);
                    RgbImage rec = ImageTensors.fromTensor(vq.decode(vq.encode(ImageTensors.toTensor(img))), 0);
                    psnr += ImageTensors.psnr(img, rec);
                    Judgement j = scorer.judge(rec, s);
                    if (j.colour()) colour++;
                    if (j.kind()) kind++;
                    if (j.position()) position++;
                    if (j.all()) all++;
                    // the first shape's colour and kind: where the misses fall (one-shape scenes judge exactly these)
                    Shape first = s.shapes().get(0);
                    seen.merge(first.colour() + " " + first.kind() + (first.size() == Size.SMALL ? " small" : ""), 1, Integer::sum);
                    if (!j.all()) missed.merge(first.colour() + " " + first.kind() + (first.size() == Size.SMALL ? " small" : ""), 1, Integer::sum);
                    if (!j.colour()) colourMissed.merge(first.colour().toString(), 1, Integer::sum);
                    if (!j.kind()) kindMissed.merge(first.kind().toString(), 1, Integer::sum);
                }
            }
            System.out.printf(Locale.ROOT, "%s: PSNR %.2f dB, colour %d%%, shape %d%%, position %d%%, all %d%%%n",
                    dir, psnr / n, colour * 100 / n, kind * 100 / n, position * 100 / n, all * 100 / n);
            if (verbose) {
                System.out.println("  colour wrong, by the first shape's colour: " + colourMissed);
                System.out.println("  kind wrong, by the first shape's kind: " + kindMissed);
                missed.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %s: %d of %d wrong%n", k, v, seen.get(k)));
            }
        }
    }
}
