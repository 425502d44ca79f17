package io.liquid4j.cli;

import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageGrid;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid imagine`: text-to-image with classifier-free guidance, as the released Liquid samples it. */
@Command(name = "imagine", mixinStandardHelpOptions = true,
        description = {"Generate images from a caption: N conditional and N unconditional rows in one batch, CFG mix, "
                + "temperature, top-k, top-p, exactly one code per grid cell. Needs a Liquid model (liquid.json or the released layout)."})
final class ImagineCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Liquid model directory (config.json, safetensors, tokenizer.json, liquid.json).")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The caption to draw.")
    String prompt;

    @Option(names = "--n", paramLabel = "N", defaultValue = "4", description = "Images to generate (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--cfg", paramLabel = "S", defaultValue = "7.0", description = "Guidance scale (default ${DEFAULT-VALUE}; 1 = no guidance).")
    double cfg;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.99", description = "Sampling temperature (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "4096", description = "Keep the K most likely codes (default ${DEFAULT-VALUE}; 1 = greedy).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.96", description = "Nucleus mass (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed (same seed, same images).")
    long seed;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype: auto (as stored), f32, bf16, f16.")
    String dtype;

    @Option(names = "--out", paramLabel = "FILE", description = "Grid PNG of the decoded images (needs the model's VQGAN).")
    Path out;

    @Option(names = "--codes-out", paramLabel = "FILE", description = "JSON {\"grid\": [rows, cols], \"codes\": [[...], ...]}, one list of codes per image.")
    Path codesOut;

    @Option(names = "--full-lm-head", description = "Compute every vocabulary row of the LM head each step (the released loop's cost; for comparison).")
    boolean fullHead;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Mixin KvCacheOption kvCacheOption;

    /** More images than this in one run is almost certainly a typo (each is a row pair of the CFG batch). */
    static final int MAX_IMAGES = 1024;

    @Override public Integer call() throws IOException {
        if (out == null && codesOut == null) throw new IllegalArgumentException("give --out (a PNG) and/or --codes-out (a JSON file): otherwise nothing is kept");
        if (n <= 0) throw new IllegalArgumentException("--n must be at least 1, got " + n);
        if (n > MAX_IMAGES) throw new IllegalArgumentException("--n " + n + ": at most " + MAX_IMAGES + " images per run (run it several times with different --seed)");
        CliChecks.cfg(cfg);
        Device dev = deviceOption.device();
        SamplingParams sampling = CliChecks.sampling(temperature, topK, topP, seed);
        DType weightType = GenerateCommand.parseDType(dtype);
        CliChecks.outputFile(out, "--out");
        CliChecks.outputFile(codesOut, "--codes-out");
        LiquidFiles files = LiquidFiles.load(model);
        LiquidLayout layout = files.layout();
        Path vqDir = out == null ? null : layout.vqganDir(model);
        if (out != null && (vqDir == null || !Files.isDirectory(vqDir))) {
            throw new IllegalArgumentException(model + ": --out needs the model's VQGAN, but liquid.json names " + (vqDir == null ? "none" : vqDir + ", which does not exist")
                    + " (use --codes-out to keep the codes alone)");
        }
        Tokenizer tokenizer = files.tokenizer();
        long t0 = System.nanoTime();
        ModelConfig config = ConfigParser.load(model);
        long promptLength = SequenceBuilder.of(tokenizer, layout).imagePrompt(prompt).length;
        if (config.maxPositions() > 0 && promptLength + layout.tokensPerImage() > config.maxPositions()) {
            throw new IllegalArgumentException("the prompt (" + promptLength + " tokens) and an image of " + layout.tokensPerImage() + " codes exceed the model's context of "
                    + config.maxPositions() + " positions");
        }
        CliChecks.kvCacheFits(config, 2 * n, promptLength + layout.tokensPerImage(), kvCacheOption.bound(), dev);
        CausalLM lm = CausalLM.fromPretrained(model, weightType, dev, checkOption.check());
        DType cacheType = kvCacheOption.dtype(lm);
        System.err.printf(Locale.ROOT, "loaded %s on %s in %.1f s%n", model, dev, (System.nanoTime() - t0) / 1e9);
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, layout);
        int steps = layout.tokensPerImage();
        int pad = Math.max(tokenizer.tokenToId("<pad>"), 0);
        StepProgress bar = new StepProgress(System.err, "imagine", steps);
        t0 = System.nanoTime();
        int[][] codes = new ImageGenerator(lm, layout.textVocabSize(), layout.imageCodes(), !fullHead, cacheType)
                .generate(Collections.nCopies(n, seq.imagePrompt(prompt)), seq.unconditionalPrompt(), steps, cfg, sampling, pad, bar::update);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "%d images of %d codes in %.1f s: %.1f s/image, %.1f tokens/s (2 rows per image)%n",
                n, steps, secs, secs / n, 2.0 * n * steps / secs);
        if (codesOut != null) {
            ImageCodesFile.write(codesOut, layout.gridRows(), layout.gridCols(), codes);
            System.err.println("wrote " + codesOut);
        }
        if (out != null) writeGrid(out, vqDir, layout, codes, dev);
        return 0;
    }


    private void writeGrid(Path file, Path vqDir, LiquidLayout layout, int[][] codes, Device dev) {
        VQModel vq = VQModel.load(vqDir, checkOption.check());
        if (!dev.isCpu()) vq.to(null, dev);
        List<RgbImage> images = new ArrayList<>();
        try (var _ = GradMode.noGrad()) {
            for (int[] img : codes) {
                long[] ids = new long[img.length];
                for (int i = 0; i < img.length; i++) ids[i] = img[i];
                Tensor grid = Tensor.fromArray(ids, 1, layout.gridRows(), layout.gridCols()).to(dev);
                images.add(ImageTensors.fromTensor(vq.decode(grid), 0));
            }
        }
        ImageFiles.writePng(ImageGrid.compose(images, Collections.nCopies(images.size(), prompt), Math.min(4, images.size())), file);
        System.err.println("wrote " + file);
    }
}
