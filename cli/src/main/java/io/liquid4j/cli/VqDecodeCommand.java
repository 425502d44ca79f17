package io.liquid4j.cli;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.GradMode;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid vq decode --vqgan DIR --codes codes.json --out out.png`. */
@Command(name = "decode", mixinStandardHelpOptions = true, description = "Decode a code grid (JSON from `vq encode --out`) to a PNG.")
final class VqDecodeCommand implements Runnable {
    @Mixin VqCommand.ModelOptions model;

    @Option(names = "--codes", required = true, paramLabel = "FILE", description = "Codes JSON.")
    Path codes;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output PNG.")
    Path out;

    @Override public void run() {
        model.device();   // a device that cannot run fails first, like in the other commands
        CliChecks.inputFile(codes, "--codes");
        CliChecks.outputFile(out, "--out");
        CodeGrid grid = CodeGrid.read(codes);
        int f = model.config().downFactor();
        model.checkImageSize((long) grid.height() * f, (long) grid.width() * f, "decoding " + grid.height() + "×" + grid.width() + " codes");
        long nEmbed = model.config().nEmbed();
        for (int i = 0; i < grid.codes().length; i++) {
            long c = grid.codes()[i];
            if (c < 0 || c >= nEmbed) {
                throw new IllegalArgumentException(codes + ": code " + c + " at row " + i / grid.width() + ", column " + i % grid.width()
                        + " is outside the codebook [0, " + nEmbed + ")");
            }
        }
        VQModel m = model.load();
        try (var _ = GradMode.noGrad()) {
            long t0 = System.nanoTime();
            RgbImage img = ImageTensors.fromTensor(m.decode(model.onDevice(grid.toTensor())), 0);
            System.err.printf("decoded %dx%d codes to %dx%d pixels in %.2f s%n", grid.height(), grid.width(), img.width(), img.height(),
                    (System.nanoTime() - t0) / 1e9);
            ImageFiles.writePng(img, out);
        }
        System.err.println("wrote " + out);
    }
}
