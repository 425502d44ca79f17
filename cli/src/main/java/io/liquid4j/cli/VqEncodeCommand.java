package io.liquid4j.cli;

import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.GradMode;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid vq encode --vqgan DIR --image in.png [--out codes.json]`. */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Encode an image to its code grid (printed on stdout, or written as JSON with --out).")
final class VqEncodeCommand implements Runnable {
    @Mixin VqCommand.ModelOptions model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "PNG or JPEG input.")
    Path image;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the codes as JSON here instead of printing the grid.")
    Path out;

    @Override public void run() {
        model.device();
        CliChecks.inputFile(image, "--image");
        CliChecks.outputFile(out, "--out");
        model.encodeSide();
        VQModel m = model.load();
        RgbImage img = model.image(image, m);
        CodeGrid grid;
        try (var _ = GradMode.noGrad()) {
            long t0 = System.nanoTime();
            grid = CodeGrid.of(m.encode(model.onDevice(VqCommand.toInput(img))));
            System.err.printf("encoded %s (%dx%d) to %dx%d codes in %.2f s%n", image, img.width(), img.height(), grid.height(), grid.width(),
                    (System.nanoTime() - t0) / 1e9);
        }
        if (out != null) {
            grid.write(out);
            System.err.println("wrote " + out);
        } else {
            System.out.print(grid.text());
        }
    }
}
