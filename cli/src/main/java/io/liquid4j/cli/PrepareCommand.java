package io.liquid4j.cli;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.data.DataOptions;
import io.liquid4j.liquid.data.DataPreparer;
import io.liquid4j.liquid.data.SampleFactory;
import io.liquid4j.liquid.data.VqImageEncoder;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid prepare`: VQGAN-encode a JSONL data set's images once (resumable), or build its training sequences. */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = {"Encode the images of {\"caption\", \"image\"} records to VQGAN codes with the model's VQGAN (Lanczos short side "
                + "to its resolution, centre crop; aspect ratio > 2 dropped), writing {\"caption\", \"codes\"}; other lines are copied. "
                + "Output line n comes from input line n. Resumable: a rerun continues after the lines already in OUT.partial or OUT.",
                "With --build, writes each record's training sequence {\"input_ids\", \"labels\", \"task\"} instead."})
final class PrepareCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Liquid model directory (tokenizer, liquid.json naming the VQGAN).")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "IN.jsonl", description = "Input records; image paths are relative to this file's directory.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "OUT.jsonl", description = "Prepared records (written as OUT.partial, renamed at the end).")
    Path out;

    @Option(names = "--build", description = "Write built sequences (input_ids, labels, task) instead of codes records.")
    boolean build;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the per-record draws with --build (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--t2i-ratio", paramLabel = "R", defaultValue = "0.5", description = "Share of image pairs built as text-to-image with --build (default ${DEFAULT-VALUE}).")
    double t2iRatio;

    @Option(names = "--uncond-prob", paramLabel = "P", defaultValue = "0.1", description = "Share of text-to-image samples made unconditional with --build (default ${DEFAULT-VALUE}).")
    double uncondProb;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Override public Integer call() throws IOException {
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException(data + ": no such data file");
        CliChecks.outputFile(out, "--out");
        Device dev = deviceOption.device();
        LiquidLayout layout = LiquidLayout.load(model);
        Path vqDir = layout.vqganDir(model);
        if (vqDir == null || !Files.isDirectory(vqDir)) {
            throw new IllegalArgumentException(model + ": prepare needs the model's VQGAN, but liquid.json names "
                    + (vqDir == null ? "none" : vqDir + ", which does not exist"));
        }
        SampleFactory factory = null;
        if (build) {
            SequenceBuilder builder = SequenceBuilder.of(Tokenizer.load(model), layout);
            factory = new SampleFactory(builder, new DataOptions(t2iRatio, uncondProb, seed, Integer.MAX_VALUE, false, layout.imageCodes()));
        }
        VQModel vq = VQModel.load(vqDir, checkOption.check());
        if (!dev.isCpu()) vq.to(null, dev);
        StepProgress bar = new StepProgress(System.err, "prepare", DataPreparer.countLines(data));
        long t0 = System.nanoTime();
        DataPreparer.Summary s = new DataPreparer(new VqImageEncoder(vq, dev), factory, System.err).prepare(data, out, bar::update);
        System.err.printf(Locale.ROOT, "wrote %s: %d lines (%d already done), %d images encoded, %d dropped (aspect ratio > %.0f), %d skipped, in %.1f s%n",
                out, s.lines(), s.resumed(), s.encoded(), s.dropped(), VqImageEncoder.MAX_ASPECT_RATIO, s.skipped(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
