package io.liquid4j.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/** Developer tool (not a test): scores image generation of a finished demo run under other sampling settings. */
public final class SamplingSweep {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        for (int i = 1; i + 2 < args.length + 1; i += 3) {
            DemoSettings s = DemoSettings.standard().withSampling(Double.parseDouble(args[i]), Double.parseDouble(args[i + 1]), Integer.parseInt(args[i + 2]));
            Path dir = Files.createDirectories(Path.of("/tmp/sweep/" + args[i] + "-" + args[i + 1] + "-" + args[i + 2]));
            System.out.println("cfg " + args[i] + " temp " + args[i + 1] + " topk " + args[i + 2]);
            new Evaluation(new io.liquid4j.demo.world.ShapesWorld(32), s, 0, "cpu", System.out).generationOnly(dir, work);
        }
    }
}
