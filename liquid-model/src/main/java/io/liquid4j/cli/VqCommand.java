package io.liquid4j.cli;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `liquid vq encode|decode|roundtrip`: the VQGAN image tokenizer on its own. */
@Command(name = "vq", mixinStandardHelpOptions = true,
        description = "VQGAN image tokenizer: image → code grid, code grid → image, round trips, and training one from scratch.",
        subcommands = {VqEncodeCommand.class, VqDecodeCommand.class, VqRoundtripCommand.class, VqTrainCommand.class, CommandLine.HelpCommand.class})
final class VqCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.err); }

    /** Options every vq subcommand shares. */
    static final class ModelOptions {
        @Option(names = "--vqgan", required = true, paramLabel = "DIR", description = "Model directory (config.json + model.safetensors).")
        Path dir;

        @Option(names = "--size", paramLabel = "PX", description = "Image side fed to the encoder (default: the config's resolution).")
        Integer size;

        @Option(names = "--max-pixels", paramLabel = "N", description = "Refuse input images with more pixels (default ${DEFAULT-VALUE}).")
        long maxPixels = ImageFiles.DEFAULT_MAX_PIXELS;

        @CommandLine.Mixin DeviceOption deviceOption;

        private Device dev;

        /** The --device, checked once (load calls it before reading weights). */
        Device device() {
            if (dev == null) dev = deviceOption.device();
            return dev;
        }

        /** Loads the model (on the CPU: VQModel.load reads F32 there) and moves it to --device. */
        VQModel load() {
            Device d = device();
            if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a VQGAN model directory");
            long t0 = System.nanoTime();
            VQModel m = VQModel.load(dir);
            if (!d.isCpu()) m.to(null, d);
            System.err.printf("loaded %s (%,d parameters) on %s in %.1f s%n", dir, m.parameterCount(), d, (System.nanoTime() - t0) / 1e9);
            return m;
        }

        /** An input tensor (images, codes) made on the host, on --device. */
        Tensor onDevice(Tensor t) { return t.to(device()); }

        /** Reads, whitens, resizes and centre-crops the image as Chameleon's tokenizer does. */
        RgbImage image(Path file, VQModel m) {
            int px = size != null ? size : m.config().resolution();
            if (px <= 0 || px % m.config().downFactor() != 0) {
                throw new IllegalArgumentException("--size " + px + " must be a positive multiple of " + m.config().downFactor());
            }
            return Preprocess.chameleon(ImageFiles.read(file, maxPixels), px);
        }
    }

    static Tensor toInput(RgbImage img) { return ImageTensors.toTensor(img); }
}
