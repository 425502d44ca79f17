package io.liquid4j.liquid.train;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The files of a training run: RUN/metrics.csv (one row per step), RUN/eval.csv (held-out loss
 * and token accuracy per task), RUN/checkpoints/step-N/ (a
 * loadable model directory + liquid.json + optimizer.safetensors + trainer.json with the step,
 * the optimizer's step count and the data order's state) and RUN/final/. A checkpoint is written
 * into step-N.tmp and renamed when complete, so a run killed at any moment (kill -9 during a
 * write included) leaves only whole checkpoints; leftovers are removed on resume.
 */
public final class RunDirectory {
    static final String METRICS_HEADER = "step,loss,lr,grad_norm,tokens,tok_per_s,skipped";
    private static final String[] MODEL_FILES = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model"};

    private final Path run;

    /** The run directory at run; nothing is created until {@link #create()} (a command that fails first leaves no empty RUN behind). */
    public RunDirectory(Path run) {
        this.run = run;
    }

    /** Creates RUN/checkpoints/ (and RUN) if missing; returns this. */
    public RunDirectory create() {
        try {
            Files.createDirectories(run.resolve("checkpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException(run + ": cannot create the run directory: " + e.getMessage(), e);
        }
        return this;
    }

    public Path path() { return run; }

    public Path metrics() { return run.resolve("metrics.csv"); }

    /** Appends the row of one step (writes the header first into a new file). */
    public void appendMetrics(Trainer.StepResult r, double tokensPerSecond) {
        // the loss with all its digits: a resumed run is checked against the uninterrupted one bit for bit
        String row = String.format(Locale.ROOT, "%d,%s,%.6e,%.6f,%d,%.1f,%d%n", r.step() + 1, Double.toString(r.loss()), r.lr(), r.gradNorm(), r.tokens(),
                tokensPerSecond, r.skipped() ? 1 : 0);
        try {
            if (!Files.exists(metrics())) Files.writeString(metrics(), METRICS_HEADER + "\n");
            Files.writeString(metrics(), row, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(metrics() + ": " + e.getMessage(), e);
        }
    }

    public Path evalMetrics() { return run.resolve("eval.csv"); }

    /** Appends the held-out figures of one evaluation, a row per task. */
    public void appendEval(int step, Map<io.liquid4j.liquid.TrainingSequence.Task, Evaluator.Result> results) {
        StringBuilder rows = new StringBuilder();
        results.forEach((task, r) -> rows.append(String.format(Locale.ROOT, "%d,%s,%s,%.6f,%d%n", step, task.name().toLowerCase(Locale.ROOT),
                Double.toString(r.loss()), r.tokenAccuracy(), r.tokens())));
        try {
            if (!Files.exists(evalMetrics())) Files.writeString(evalMetrics(), "step,task,loss,token_accuracy,tokens\n");
            Files.writeString(evalMetrics(), rows.toString(), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(evalMetrics() + ": " + e.getMessage(), e);
        }
    }

    /** Drops metric rows past `step` (a resumed run rewrites them). */
    public void truncateMetrics(int step) {
        truncate(metrics(), step);
        truncate(evalMetrics(), step);
    }

    private static void truncate(Path file, int step) {
        if (!Files.exists(file)) return;
        try {
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) continue;
                if (!keep.isEmpty()) {
                    int s = Integer.parseInt(line.substring(0, line.indexOf(',')));
                    if (s > step) break;
                }
                keep.add(line);
            }
            writeAtomically(file, String.join("\n", keep) + "\n");
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + ": cannot read the metrics of the run to resume: " + e.getMessage(), e);
        }
    }

    /** A saved training state: the checkpoint directory and what resuming needs besides the weights. */
    public record Saved(Path dir, int step, int optimizerSteps, long[] dataState) {}

    /**
     * Writes RUN/checkpoints/step-N (or `dir` itself for the final model) atomically: the model's
     * weights, the model directory's config and tokenizer files, liquid.json (none for a text LM:
     * layout null), and the training state.
     */
    public Path save(Path target, int step, CausalLM model, Path sourceModel, LiquidLayout layout, AdamW optimizer, long[] dataState) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            model.save(tmp.resolve("model.safetensors"), Map.of("format", "pt"));
            for (String f : MODEL_FILES) {
                Path src = sourceModel.resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
            }
            // the VQGAN stays where the source model's liquid.json points: recorded as an absolute path
            LiquidLayout moved = layout == null || layout.vqgan() == null ? layout : new LiquidLayout(layout.textVocabSize(), layout.imageCodes(), layout.boiId(),
                    layout.eoiId(), layout.unconditionalId(), layout.gridRows(), layout.gridCols(),
                    layout.vqganDir(sourceModel).toAbsolutePath().normalize().toString());
            if (moved != null) moved.write(tmp);
            Checkpoint.save(tmp.resolve("optimizer.safetensors"), optimizer.stateTensors(model.namedParameters()), Map.of());
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("step", step);
            state.put("optimizer_steps", optimizer.stepCount());
            List<Object> data = new ArrayList<>();
            for (long v : dataState) data.add(v);
            state.put("data_state", data);
            Files.writeString(tmp.resolve("trainer.json"), Json.write(state) + "\n");
            deleteTree(target);
            move(tmp, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    public Path checkpoint(int step) { return run.resolve("checkpoints").resolve("step-" + step); }

    public Path finalDir() { return run.resolve("final"); }

    /** The newest complete checkpoint, after removing half-written ones. */
    public Optional<Saved> latest() {
        Path dir = run.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return Optional.empty();
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.toList();
            for (Path p : all) if (p.getFileName().toString().endsWith(".tmp")) deleteTree(p);
            return all.stream().filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve("trainer.json")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(5))))
                    .map(RunDirectory::read);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    private static Saved read(Path dir) {
        Path file = dir.resolve("trainer.json");
        try {
            Map<String, Object> m = Json.parseObject(Files.readString(file));
            List<?> data = (List<?>) m.get("data_state");
            long[] state = new long[data.size()];
            for (int i = 0; i < state.length; i++) state[i] = ((Number) data.get(i)).longValue();
            return new Saved(dir, ((Number) m.get("step")).intValue(), ((Number) m.get("optimizer_steps")).intValue(), state);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + ": unreadable training state (" + e.getMessage() + ")", e);
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        move(tmp, file);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a file or directory tree; nothing when it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
