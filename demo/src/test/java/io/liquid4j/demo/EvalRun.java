package io.liquid4j.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/** Developer tool (not a test): the demo's whole evaluation of a run directory laid out like OUT/work, with given sampling. */
public final class EvalRun {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        DemoSettings s = DemoSettings.standard().withSampling(Double.parseDouble(args[1]), Double.parseDouble(args[2]), Integer.parseInt(args[3]));
        Path dir = Files.createDirectories(work.resolve("eval-" + args[1] + "-" + args[2] + "-" + args[3]));
        new Evaluation(new io.liquid4j.demo.world.ShapesWorld(32), s, 0, "cpu", System.out).run(dir, work);
    }
}
