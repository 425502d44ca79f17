package io.liquid4j.cli;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.liquid.train.LossPlot;
import io.liquid4j.nn.optim.LinearDecaySchedule;
import io.liquid4j.nn.vqgan.CodebookUsage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.nn.vqgan.VqLoss;
import io.liquid4j.nn.vqgan.VqTrainer;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * `liquid vq train`: trains a VQGAN image tokenizer from scratch (reconstruction + VQ losses,
 * dead-code restarts) on a folder of images or a JSONL of {"image": path} records, and writes a
 * model directory the other vq commands, `prepare` and `extend-vocab --vqgan` read.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a VQGAN from scratch on images (a directory of PNG/JPEG files, or a JSONL of {\"image\": path} records, "
                + "paths relative to the file). Loss: reconstruction (L1/L2) + codebook + beta * commitment, no perceptual or GAN term; "
                + "unused codes are restarted on random latents. Writes OUT/config.json, OUT/model.safetensors, OUT/metrics.csv, OUT/loss.png."})
final class VqTrainCommand implements Callable<Integer> {
    @Option(names = "--images", required = true, paramLabel = "DIR|F.jsonl", description = "Training images.")
    Path images;

    @Option(names = "--config", required = true, paramLabel = "config.json",
            description = "VQGAN config (taming's ddconfig keys plus embed_dim, n_embed; optional norm_groups, default 32).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "VQDIR", description = "Model directory to write (must not exist, or be empty).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16", description = "Images per step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "1e-3", description = "AdamW learning rate (default ${DEFAULT-VALUE}); constant, then decayed over --decay-steps.")
    double lr;

    @Option(names = "--decay-steps", paramLabel = "D", defaultValue = "0",
            description = "Decay the learning rate linearly towards 0 over the last D steps (default ${DEFAULT-VALUE}: constant throughout).")
    int decaySteps;

    @Option(names = "--beta", paramLabel = "B", defaultValue = "0.25", description = "Commitment loss weight (default ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--loss", paramLabel = "l1|l2", defaultValue = "l2", description = "Reconstruction loss (default ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--restart-every", paramLabel = "K", defaultValue = "50", description = "Restart codes unused for K steps, 0 = never (default ${DEFAULT-VALUE}).")
    int restartEvery;

    @Option(names = "--max-grad-norm", paramLabel = "G", defaultValue = "1.0", description = "Gradient-norm clip, 0 = off (default ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--eval-images", paramLabel = "N", defaultValue = "64", description = "Images held out for the final PSNR and codebook usage (default ${DEFAULT-VALUE}).")
    int evalImages;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the weights, the batches and the restarts (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin DeviceOption deviceOption;

    @Override public Integer call() throws IOException {
        Device dev = deviceOption.device();
        VqLoss.Reconstruction kind = switch (loss.toLowerCase(Locale.ROOT)) {
            case "l1" -> VqLoss.Reconstruction.L1;
            case "l2" -> VqLoss.Reconstruction.L2;
            default -> throw new IllegalArgumentException("--loss must be l1 or l2, got " + loss);
        };
        if (steps <= 0 || batchSize <= 0) throw new IllegalArgumentException("--steps and --batch-size must be at least 1");
        if (evalImages < 0) throw new IllegalArgumentException("--eval-images must be >= 0");
        if (Files.exists(out) && !CliFiles.isEmptyDirectory(out)) throw new IllegalArgumentException("--out " + out + " already exists: choose a new directory");
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("--config " + config + ": no such file");
        VqConfig cfg = VqConfig.read(config);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr " + lr + ": must be a finite number > 0");
        if (decaySteps < 0 || decaySteps > steps) throw new IllegalArgumentException("--decay-steps " + decaySteps + ": must be in [0, --steps " + steps + "]");
        {
            // a training step keeps every activation for the backward: at least ~8 full-resolution maps of the first level per image
            long res = cfg.resolution(), width = (long) cfg.ch() * cfg.chMult()[0];
            long bytes = CliChecks.product("--batch-size " + batchSize + " at " + res + " px", batchSize, res, res, width, 8, 4);
            if (dev.isCpu()) CliChecks.fitsInMemory("--batch-size " + batchSize + " of " + res + "×" + res + " images (" + width + " channels at full resolution)", bytes);
        }
        List<Path> files = imageFiles(images);
        if (files.size() <= evalImages) throw new IllegalArgumentException(images + ": " + files.size() + " images, need more than --eval-images " + evalImages);

        int px = cfg.resolution();
        List<float[]> pixels = new ArrayList<>(files.size());
        StepProgress load = new StepProgress(System.err, "load images", files.size());
        for (Path f : files) {
            RgbImage img = Preprocess.chameleon(ImageFiles.read(f), px);
            pixels.add(ImageTensors.toTensor(img).toFloatArray());
            load.update(pixels.size(), "");
        }
        int train = files.size() - evalImages;
        VQModel model = new VQModel(cfg, new Generator(seed));
        if (!dev.isCpu()) model.to(null, dev);
        System.err.printf(Locale.ROOT, "VQGAN: %,d parameters, %d codes of %d dims, %dx downsampling (%dx%d codes per %d px image); "
                        + "%d training images, %d held out; %d steps of %d on %s%n",
                model.parameterCount(), cfg.nEmbed(), cfg.embedDim(), cfg.downFactor(), cfg.gridSize(px), cfg.gridSize(px), px,
                train, evalImages, steps, batchSize, dev);

        CliFiles.writeDirectory(out, tmp -> {
            SplittableRandom rng = new SplittableRandom(seed);
            int[] order = permutation(train, rng);
            int cursor = 0;
            long t0 = System.nanoTime();
            StepProgress bar = new StepProgress(System.err, "vq train", steps);
            LinearDecaySchedule schedule = new LinearDecaySchedule(lr, decaySteps, steps);
            try (VqTrainer trainer = new VqTrainer(model, new VqTrainer.Options(lr, beta, kind, restartEvery, maxGradNorm, seed + 1));
                 BufferedWriter metrics = Files.newBufferedWriter(tmp.resolve("metrics.csv"), StandardCharsets.UTF_8)) {
                metrics.write("step,loss,reconstruction,codebook,commitment,restarted\n");
                for (int step = 1; step <= steps; step++) {
                    float[] batch = new float[batchSize * 3 * px * px];
                    for (int b = 0; b < batchSize; b++) {
                        if (cursor == train) { order = permutation(train, rng); cursor = 0; }
                        System.arraycopy(pixels.get(order[cursor++]), 0, batch, b * 3 * px * px, 3 * px * px);
                    }
                    trainer.setLearningRate(schedule.at(step - 1));
                    VqTrainer.StepResult r;
                    try (var _ = TensorScope.open()) {
                        r = trainer.step(Tensor.fromArray(batch, batchSize, 3, px, px).to(dev));
                    }
                    metrics.write(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%d%n", step, r.total(), r.reconstruction(), r.codebook(), r.commitment(), r.restarted()));
                    bar.update(step, String.format(Locale.ROOT, "loss %.4f rec %.4f", r.total(), r.reconstruction()));
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            LossPlot.draw(tmp.resolve("metrics.csv"), tmp.resolve("loss.png"), "VQGAN training loss (reconstruction + VQ)");
            cfg.write(tmp.resolve("config.json"));
            model.save(tmp.resolve("model.safetensors"), Map.of("format", "pt"));
            if (evalImages > 0) evaluate(model, pixels.subList(train, pixels.size()), px, dev, tmp);
            System.err.printf(Locale.ROOT, "trained %d steps in %.1f s (%.1f images/s); VQGAN in %s%n", steps, secs, steps * batchSize / secs, out);
        });
        return 0;
    }

    /** Held-out images encoded and decoded per pass of the final evaluation. */
    private static final int EVAL_BATCH = 16;

    /** PSNR and codebook usage on the held-out images; prints them and writes eval.json. */
    private static void evaluate(VQModel model, List<float[]> held, int px, Device dev, Path dir) throws IOException {
        CodebookUsage usage = new CodebookUsage(model.quantizer().size());
        double psnr = 0;
        try (var _ = GradMode.noGrad()) {
            // EVAL_BATCH images per pass: one at a time, each convolution was a GEMM of a few columns
            for (int start = 0; start < held.size(); start += EVAL_BATCH) {
                int n = Math.min(EVAL_BATCH, held.size() - start);
                try (var _ = TensorScope.open()) {
                    float[] batch = new float[n * 3 * px * px];
                    for (int i = 0; i < n; i++) System.arraycopy(held.get(start + i), 0, batch, i * 3 * px * px, 3 * px * px);
                    Tensor x = Tensor.fromArray(batch, n, 3, px, px);
                    Tensor codes = model.encode(x.to(dev));
                    usage.add(codes.to(Device.CPU));
                    Tensor decoded = model.decode(codes).to(Device.CPU);
                    for (int i = 0; i < n; i++) psnr += ImageTensors.psnr(ImageTensors.fromTensor(x, i), ImageTensors.fromTensor(decoded, i));
                }
            }
        }
        psnr /= held.size();
        System.err.printf(Locale.ROOT, "held-out images: PSNR %.2f dB, codebook perplexity %.1f of %d, %d codes unused%n",
                psnr, usage.perplexity(), model.quantizer().size(), usage.deadCodes());
        Files.writeString(dir.resolve("eval.json"), Json.write(Map.of("psnr_db", psnr, "images", (long) held.size(),
                "codebook_perplexity", usage.perplexity(), "unused_codes", (long) usage.deadCodes())) + "\n");
    }

    /** The image files of a directory (sorted by name) or of a JSONL's "image" fields. */
    static List<Path> imageFiles(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.list(source)) {
                List<Path> files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)")).sorted().toList();
                if (files.isEmpty()) throw new IllegalArgumentException(source + ": no .png or .jpg files");
                return files;
            }
        }
        if (!Files.isRegularFile(source)) throw new IllegalArgumentException("--images " + source + ": no such file or directory");
        Path base = source.toAbsolutePath().getParent();
        List<Path> files = CliFiles.strings(source, "image").stream().map(base::resolve).toList();
        if (files.isEmpty()) throw new IllegalArgumentException(source + ": no image records");
        return files;
    }

    private static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
