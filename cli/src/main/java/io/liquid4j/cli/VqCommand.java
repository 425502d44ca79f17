package io.liquid4j.cli;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
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

        @Option(names = "--max-pixels", paramLabel = "N", description = "Refuse input images, --size and decoded images with more pixels (default ${DEFAULT-VALUE}).")
        long maxPixels = ImageFiles.DEFAULT_MAX_PIXELS;

        @CommandLine.Mixin DeviceOption deviceOption;

        @CommandLine.Mixin WeightCheckOption checkOption;

        private Device dev;
        private VqConfig config;

        /** DIR/config.json alone (cheap: read before the weights so sizes are checked first). */
        VqConfig config() {
            if (config == null) {
                if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--vqgan " + dir + ": not a VQGAN model directory");
                config = VqConfig.read(dir);
            }
            return config;
        }

        /** The side of the images the encoder is fed (--size or the config's resolution), checked against --max-pixels and memory. */
        int encodeSide() {
            VqConfig c = config();
            int px = size != null ? size : c.resolution();
            if (px <= 0 || px % c.downFactor() != 0) {
                throw new IllegalArgumentException("--size " + px + " must be a positive multiple of " + c.downFactor());
            }
            checkImageSize(px, px, "--size " + px);
            return px;
        }

        /**
         * An image of height × width pixels to be encoded or decoded: at most --max-pixels, and
         * its activations (the full-resolution feature maps, and the attention over the latent
         * grid) must fit in memory, checked before anything is allocated.
         */
        void checkImageSize(long height, long width, String what) {
            if (maxPixels <= 0) throw new IllegalArgumentException("--max-pixels " + maxPixels + ": must be positive");
            long pixels = CliChecks.product(what + ": " + height + "×" + width + " pixels", height, width);
            if (pixels > maxPixels) {
                throw new IllegalArgumentException(what + ": a " + height + "×" + width + " image has " + pixels + " pixels, more than --max-pixels " + maxPixels);
            }
            VqConfig c = config();
            int f = c.downFactor();
            long tokens = (height / f) * (width / f);
            // three full-resolution maps of the widest first level (input, output, normalised) in F32
            long maps = CliChecks.product(what, pixels, (long) c.ch() * c.chMult()[0], 3, 4);
            // the reference attention (used off the CPU) holds the latent grid's score matrix
            long attention = device().isCpu() ? 0 : CliChecks.product(what + ": attention over " + tokens + " latent positions", tokens, tokens, 4);
            CliChecks.fitsInMemory(what + ": a " + height + "×" + width + " image (" + c.ch() * c.chMult()[0] + " channels at full resolution)",
                    maps + attention);
        }

        /** The --device, checked once (load calls it before reading weights). */
        Device device() {
            if (dev == null) dev = deviceOption.device();
            return dev;
        }

        /** Loads the model (on the CPU: VQModel.load reads F32 there) and moves it to --device. */
        VQModel load() {
            Device d = device();
            config();
            long t0 = System.nanoTime();
            VQModel m = VQModel.load(dir, checkOption.check());
            if (!d.isCpu()) m.to(null, d);
            System.err.printf("loaded %s (%,d parameters) on %s in %.1f s%n", dir, m.parameterCount(), d, (System.nanoTime() - t0) / 1e9);
            return m;
        }

        /** An input tensor (images, codes) made on the host, on --device. */
        Tensor onDevice(Tensor t) { return t.to(device()); }

        /** Reads, whitens, resizes and centre-crops the image as Chameleon's tokenizer does. */
        RgbImage image(Path file, VQModel m) {
            return Preprocess.chameleon(ImageFiles.read(file, maxPixels), encodeSide());
        }
    }

    static Tensor toInput(RgbImage img) { return ImageTensors.toTensor(img); }
}
