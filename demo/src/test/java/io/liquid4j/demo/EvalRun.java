package io.liquid4j.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Developer tool (not a test): the demo's whole evaluation of a run directory laid out like OUT/work, with given sampling.
 * Usage: EvalRun WORK CFG TEMPERATURE TOPK [IMAGES_PER_PROMPT [CAPTIONED_IMAGES]] (more than the demo's narrows the
 * sampling error of its percentages: ±5 points at 80 one-shape images).
 */
public final class EvalRun {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        DemoSettings s = DemoSettings.standard().withSampling(Double.parseDouble(args[1]), Double.parseDouble(args[2]), Integer.parseInt(args[3]));
        if (args.length > 4) s = s.withEvaluation(Integer.parseInt(args[4]), args.length > 5 ? Integer.parseInt(args[5]) : s.captionImages());
        Path dir = Files.createDirectories(work.resolve("eval-" + String.join("-", java.util.Arrays.copyOfRange(args, 1, args.length))));
        new Evaluation(new io.liquid4j.demo.world.ShapesWorld(32), s, 0, "cpu", System.out).run(dir, work);
    }
}
