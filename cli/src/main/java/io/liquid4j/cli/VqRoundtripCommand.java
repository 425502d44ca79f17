package io.liquid4j.cli;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid vq roundtrip --vqgan DIR --image in.png --out out.png`: encode, decode, report PSNR. */
@Command(name = "roundtrip", mixinStandardHelpOptions = true,
        description = "Encode and decode an image; writes the reconstruction and prints its PSNR against the preprocessed input.")
final class VqRoundtripCommand implements Runnable {
    @Mixin VqCommand.ModelOptions model;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "PNG or JPEG input.")
    Path image;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output PNG.")
    Path out;

    @Override public void run() {
        model.device();
        CliChecks.inputFile(image, "--image");
        CliChecks.outputFile(out, "--out");
        model.encodeSide();
        VQModel m = model.load();
        RgbImage in = model.image(image, m);
        try (var _ = GradMode.noGrad()) {
            long t0 = System.nanoTime();
            Tensor codes = m.encode(model.onDevice(VqCommand.toInput(in)));
            long t1 = System.nanoTime();
            RgbImage rec = ImageTensors.fromTensor(m.decode(codes), 0);
            long t2 = System.nanoTime();
            ImageFiles.writePng(rec, out);
            double psnr = ImageTensors.psnr(in, rec);
            System.err.printf("encode %.2f s, decode %.2f s, %d codes; wrote %s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9, codes.numel(), out);
            System.out.printf("PSNR %.2f dB%n", psnr);
        }
    }
}
