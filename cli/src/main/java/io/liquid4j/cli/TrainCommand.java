package io.liquid4j.cli;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.data.Batch;
import io.liquid4j.liquid.data.BatchStream;
import io.liquid4j.liquid.data.DataOptions;
import io.liquid4j.liquid.data.TrainingData;
import io.liquid4j.liquid.train.Evaluator;
import io.liquid4j.liquid.train.LossPlot;
import io.liquid4j.liquid.train.LrSchedule;
import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.liquid.train.Trainer;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid train`: next-token training of a Liquid model on text, text-to-image and captioning data. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Liquid model (liquid.json or the released layout), or a text LM on text, on JSONL data: {\"text\"}, {\"caption\", \"codes\"} "
                + "(text-to-image or captioning, drawn as the released collator does) and {\"input_ids\", \"labels\"} records. "
                + "Writes RUN/metrics.csv, RUN/loss.png, RUN/checkpoints/step-N/ (atomic, resumable with --resume) and RUN/final/."})
final class TrainCommand implements Callable<Integer> {
    /** RUN/loss.png is redrawn this often (and at the end). */
    private static final int PLOT_EVERY = 25;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Liquid model directory to start from.")
    Path model;

    @Option(names = "--data", required = true, split = ",", paramLabel = "F.jsonl", description = "Training data, one or more JSONL files (comma-separated).")
    List<Path> data;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run directory (metrics, checkpoints, final model).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: --epochs over the data).")
    Integer steps;

    @Option(names = "--epochs", paramLabel = "E", defaultValue = "1", description = "Passes over the data when --steps is not given (default ${DEFAULT-VALUE}).")
    double epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "8", description = "Rows per micro-batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", paramLabel = "A", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--seq-len", paramLabel = "L", description = "Row length: the longest sequence allowed, and the packed row length (default: the model's context).")
    Integer seqLen;

    @Option(names = "--pack", description = "Pack several sequences per row (document-aware attention, positions restarting per document).")
    boolean pack;

    @Option(names = "--truncate", description = "Truncate sequences longer than --seq-len (counted) instead of stopping with an error.")
    boolean truncate;

    @Option(names = "--no-shuffle", description = "Take the records in file order: batch b = records [b*B, (b+1)*B).")
    boolean noShuffle;

    @Option(names = "--t2i-ratio", paramLabel = "R", defaultValue = "0.5", description = "Share of image-caption pairs built as text-to-image (default ${DEFAULT-VALUE}).")
    double t2iRatio;

    @Option(names = "--uncond-prob", paramLabel = "P", defaultValue = "0.1", description = "Share of text-to-image samples made unconditional (default ${DEFAULT-VALUE}).")
    double uncondProb;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "2e-5", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--schedule", paramLabel = "KIND", defaultValue = "cosine", description = "constant or cosine (to 0 at the last step) after the warmup (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--decay-steps", paramLabel = "D", defaultValue = "0",
            description = "With --schedule constant: decay the learning rate linearly towards 0 over the last D steps (default ${DEFAULT-VALUE}: constant to the end).")
    int decaySteps;

    @Option(names = "--warmup", paramLabel = "W", description = "Warmup steps (default: 3%% of the steps).")
    Integer warmup;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "0", description = "Decoupled weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", paramLabel = "G", defaultValue = "1.0", description = "Global gradient-norm clip, 0 = off (default ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--z-loss", paramLabel = "LAMBDA", defaultValue = "0", description = "z-loss weight: lambda * mean(logsumexp^2) (default ${DEFAULT-VALUE}; PaLM uses 1e-4).")
    double zLoss;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32", description = "Weights: f32, or bf16 with F32 master copies in the optimizer (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--eval-data", split = ",", paramLabel = "F.jsonl", description = "Held-out data, evaluated every --eval-every steps and at the end (RUN/eval.csv).")
    List<Path> evalData;

    @Option(names = "--eval-every", paramLabel = "K", defaultValue = "0", description = "Evaluate every K steps (default: only at the end, when --eval-data is given).")
    int evalEvery;

    @Option(names = "--save-every", paramLabel = "K", defaultValue = "0", description = "Checkpoint every K steps (default: only the final model).")
    int saveEvery;

    @Option(names = "--resume", description = "Continue the run in --out from its newest checkpoint (same losses as an uninterrupted run).")
    boolean resume;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the sample draws and the shuffling (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    /** Prebuilt input_ids are only checked to be >= 0 when read: here against the model. */
    private static void checkIds(TrainingData set, int vocab, String option) {
        for (int i = 0; i < set.size(); i++) {
            for (int id : set.get(i).inputIds()) {
                if (id >= vocab) throw new IllegalArgumentException(option + ": sequence " + i + " holds token id " + id + ", outside the model's vocabulary [0, " + vocab + ")");
            }
        }
    }

    private static void evaluate(RunDirectory run, int step, CausalLM lm, TrainingData set) {
        var results = Evaluator.evaluate(lm, set);
        run.appendEval(step, results);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%neval at step %d:", step));
        results.forEach((task, r) -> line.append(String.format(Locale.ROOT, "  %s loss %.4f acc %.3f", task.name().toLowerCase(Locale.ROOT), r.loss(), r.tokenAccuracy())));
        System.err.println(line);
    }

    @Override public Integer call() throws IOException {
        Device dev = deviceOption.device();
        DType weights = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got " + dtype);
        };
        if (!schedule.equals("cosine") && !schedule.equals("constant")) throw new IllegalArgumentException("--schedule must be constant or cosine, got " + schedule);
        if (decaySteps < 0) throw new IllegalArgumentException("--decay-steps " + decaySteps + ": must be at least 0");
        if (decaySteps > 0 && !schedule.equals("constant")) throw new IllegalArgumentException("--decay-steps applies to --schedule constant (the cosine decays over all steps)");
        if (batchSize <= 0 || gradAccum <= 0) throw new IllegalArgumentException("--batch-size and --grad-accum must be at least 1");
        if (steps != null && steps < 1) throw new IllegalArgumentException("--steps " + steps + ": must be at least 1");
        if (steps == null && !(epochs > 0 && epochs <= 1e6)) throw new IllegalArgumentException("--epochs " + epochs + ": must be in (0, 1e6]");
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr " + lr + ": must be a finite number > 0");
        if (seqLen != null && seqLen < 2) throw new IllegalArgumentException("--seq-len " + seqLen + ": must be at least 2");
        for (Path d : data) CliChecks.inputFile(d, "--data");
        if (evalData != null) for (Path d : evalData) CliChecks.inputFile(d, "--eval-data");
        RunDirectory run = new RunDirectory(out);
        Optional<RunDirectory.Saved> saved = resume ? run.latest() : Optional.empty();
        if (resume && saved.isEmpty()) throw new IllegalArgumentException(out + ": --resume found no complete checkpoint to continue from");
        if (!resume && (Files.exists(run.metrics()) || Files.exists(run.finalDir()))) {
            throw new IllegalArgumentException(out + " already holds a run: continue it with --resume, or choose another --out");
        }

        LiquidFiles files = LiquidFiles.loadTextOrLiquid(model);
        LiquidLayout layout = files.layout();
        if (layout == null) System.err.println(model + ": a text LM (no " + LiquidLayout.FILE + "): text and input_ids records only");
        Tokenizer tokenizer = files.tokenizer();
        Path weightsDir = saved.map(RunDirectory.Saved::dir).orElse(model);
        int context = io.liquid4j.nn.transformer.ConfigParser.load(weightsDir).maxPositions();
        context = context > 0 ? context : 2048;
        int len = seqLen != null ? seqLen : context;
        if (len > context) throw new IllegalArgumentException("--seq-len " + len + " exceeds the model's context of " + context);
        CausalLM lm = CausalLM.fromPretrained(weightsDir, weights, dev, checkOption.check());

        int imageCodes = layout == null ? 0 : layout.imageCodes();
        TrainingData td = TrainingData.load(data, files.sequences(), new DataOptions(t2iRatio, uncondProb, seed, len, truncate, imageCodes));
        if (td.size() == 0) throw new IllegalArgumentException("no usable training records in " + data);
        checkIds(td, lm.config().vocabSize(), "--data");
        TrainingData evalSet = evalData == null ? null : TrainingData.load(evalData, files.sequences(),
                new DataOptions(t2iRatio, uncondProb, seed, len, truncate, imageCodes));
        if (evalSet != null) checkIds(evalSet, lm.config().vocabSize(), "--eval-data");
        int pad = Math.max(tokenizer.tokenToId("<pad>"), Math.max(lm.config().padTokenId(), 0));
        BatchStream stream = new BatchStream(td, batchSize, len, pack, !noShuffle, seed, pad);
        int total = steps != null ? steps : (int) Math.max(1, Math.ceil(epochs * stream.batchesPerEpoch() / gradAccum));
        int warm = warmup != null ? warmup : (int) Math.round(0.03 * total);
        System.err.printf(Locale.ROOT, "data: %d sequences %s, %d corrupt lines skipped; %d steps of %d x %d rows (seq %d%s), %s weights on %s%n",
                td.size(), td.taskCounts(), td.skippedLines(), total, gradAccum, batchSize, len, pack ? ", packed" : "", weights, dev);

        Trainer.Options opts = new Trainer.Options(maxGradNorm, zLoss, weightDecay, new LrSchedule(lr, warm, total, schedule.equals("cosine"), decaySteps));
        run.create();   // only now: a run that fails its checks leaves no RUN directory behind
        try (Trainer trainer = new Trainer(lm, opts)) {
            int start = 0;
            if (saved.isPresent()) {
                RunDirectory.Saved s = saved.get();
                trainer.optimizer().restore(lm.namedParameters(), Checkpoint.loadAll(s.dir().resolve("optimizer.safetensors")), s.optimizerSteps());
                trainer.setSteps(s.step());
                stream.restore(s.dataState());
                run.truncateMetrics(s.step());
                start = s.step();
                System.err.println("resuming " + out + " at step " + start + " from " + s.dir());
            }
            StepProgress bar = new StepProgress(System.err, "train", total);
            int skipped = 0;
            long tokens = 0, t0 = System.nanoTime();
            for (int step = start; step < total; step++) {
                List<Batch> micro = new ArrayList<>(gradAccum);
                for (int a = 0; a < gradAccum; a++) micro.add(stream.next());
                long ts = System.nanoTime();
                Trainer.StepResult r = trainer.step(micro);
                double secs = (System.nanoTime() - ts) / 1e9;
                run.appendMetrics(r, r.tokens() / Math.max(secs, 1e-9));
                tokens += r.tokens();
                if (r.skipped()) {
                    skipped++;
                    System.err.printf(Locale.ROOT, "%nstep %d skipped: %s%n", step + 1, r.why());
                }
                bar.update(step + 1, String.format(Locale.ROOT, "loss %.4f", r.loss()));
                if (evalSet != null && evalEvery > 0 && (step + 1) % evalEvery == 0 && step + 1 < total) evaluate(run, step + 1, lm, evalSet);
                if ((step + 1) % PLOT_EVERY == 0) LossPlot.draw(run.metrics(), out.resolve("loss.png"));
                if (saveEvery > 0 && (step + 1) % saveEvery == 0 && step + 1 < total) {
                    run.save(run.checkpoint(step + 1), step + 1, lm, model, layout, trainer.optimizer(), stream.state());
                }
            }
            if (evalSet != null) evaluate(run, total, lm, evalSet);
            run.save(run.finalDir(), total, lm, model, layout, trainer.optimizer(), stream.state());
            LossPlot.draw(run.metrics(), out.resolve("loss.png"));
            double secs = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "trained %d steps (%d skipped), %,d tokens in %.1f s (%.0f tok/s); final model in %s%n",
                    total - start, skipped, tokens, secs, tokens / Math.max(secs, 1e-9), run.finalDir());
        }
        return 0;
    }
}
