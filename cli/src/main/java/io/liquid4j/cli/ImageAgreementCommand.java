package io.liquid4j.cli;

import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * `liquid eval image-agreement`: how often a model's greedy image codes equal a reference model's
 * (a quantized model against its BF16 original, say), measured two ways. Free-running: each model
 * draws its own greedy image, and one early difference changes every later step's history.
 * Teacher-forced: the model is fed the reference's codes and only its next pick is compared — the
 * per-step decision, without that cascade.
 */
@Command(name = "image-agreement", mixinStandardHelpOptions = true,
        description = {"Compare a Liquid model's greedy (top-k 1) CFG image codes with a reference model's on the same prompts: "
                + "free-running (each model draws its own image) and teacher-forced (the model's next pick after the reference's codes). "
                + "Both models need the same liquid.json layout. Prints a JSON object on stdout."})
final class ImageAgreementCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The Liquid model to measure (e.g. a quantized one).")
    Path model;

    @Option(names = "--reference", required = true, paramLabel = "DIR", description = "The Liquid model whose codes count as right (e.g. BF16).")
    Path reference;

    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "Captions, one per line (blank lines skipped).")
    Path prompts;

    @Option(names = "--cfg", paramLabel = "S", defaultValue = "7.0", description = "Guidance scale (default ${DEFAULT-VALUE}, as liquid imagine).")
    double cfg;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype of --model: auto (as stored), f32, bf16, f16.")
    String dtype;

    @Option(names = "--reference-dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype of --reference: auto (as stored), f32, bf16, f16.")
    String referenceDType;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "Prompts per batch (2 rows each; default ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Override public Integer call() throws IOException {
        CliChecks.cfg(cfg);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size " + batchSize + ": must be at least 1");
        DType modelType = GenerateCommand.parseDType(dtype), referenceType = GenerateCommand.parseDType(referenceDType);
        Device dev = deviceOption.device();
        List<String> captions = captions(prompts);
        LiquidFiles files = LiquidFiles.load(model);
        LiquidLayout layout = files.layout(), refLayout = LiquidFiles.load(reference).layout();
        if (layout.textVocabSize() != refLayout.textVocabSize() || layout.imageCodes() != refLayout.imageCodes()
                || layout.gridRows() != refLayout.gridRows() || layout.gridCols() != refLayout.gridCols()) {
            throw new IllegalArgumentException("--model and --reference have different image layouts (liquid.json): " + layout.textVocabSize() + " text ids, "
                    + layout.imageCodes() + " codes, grid " + layout.gridRows() + "×" + layout.gridCols() + " against " + refLayout.textVocabSize() + ", "
                    + refLayout.imageCodes() + ", " + refLayout.gridRows() + "×" + refLayout.gridCols());
        }
        SequenceBuilder seq = SequenceBuilder.of(files.tokenizer(), layout);
        List<int[]> ids = new ArrayList<>(captions.size());
        for (String c : captions) ids.add(seq.imagePrompt(c));
        int[] uncond = seq.unconditionalPrompt();
        int steps = layout.tokensPerImage(), pad = Math.max(files.tokenizer().tokenToId("<pad>"), 0);

        // the reference first: its model is unreachable once its codes are drawn (the tensors' cleaner frees it)
        int[][] want = inBatches(generator(reference, referenceType, dev, layout), "reference", ids, uncond, steps, pad, null);
        ImageGenerator candidate = generator(model, modelType, dev, layout);
        int[][] own = inBatches(candidate, "free-running", ids, uncond, steps, pad, null);
        int[][] forced = inBatches(candidate, "teacher-forced", ids, uncond, steps, pad, want);

        long free = 0, taught = 0, total = (long) captions.size() * steps;
        List<Object> firstDifference = new ArrayList<>();
        double firstSum = 0;
        for (int i = 0; i < captions.size(); i++) {
            int first = steps;
            for (int s = 0; s < steps; s++) {
                if (own[i][s] == want[i][s]) free++;
                else if (first == steps) first = s;
                if (forced[i][s] == want[i][s]) taught++;
            }
            firstDifference.add((long) first);
            firstSum += first;
        }
        System.err.printf(Locale.ROOT, "%d images × %d codes: free-running %.1f%% equal (first difference after %.1f codes on average), teacher-forced %.1f%% equal%n",
                captions.size(), steps, 100.0 * free / total, firstSum / captions.size(), 100.0 * taught / total);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("images", (long) captions.size());
        out.put("codes_per_image", (long) steps);
        out.put("cfg", cfg);
        out.put("free_running_equal", (double) free / total);
        out.put("teacher_forced_equal", (double) taught / total);
        out.put("free_running_equal_codes", free);
        out.put("teacher_forced_equal_codes", taught);
        out.put("first_difference", firstDifference);
        System.out.println(Json.write(out));
        return 0;
    }

    private ImageGenerator generator(Path dir, DType type, Device dev, LiquidLayout layout) {
        long t0 = System.nanoTime();
        CausalLM lm = CausalLM.fromPretrained(dir, type, dev, checkOption.check());
        System.err.printf(Locale.ROOT, "loaded %s on %s in %.1f s%n", dir, dev, (System.nanoTime() - t0) / 1e9);
        return new ImageGenerator(lm, layout.textVocabSize(), layout.imageCodes(), true, DType.F32);
    }

    /** Greedy codes of every prompt, --batch-size prompts at a time; with {@code follow}, teacher-forced on those codes. */
    private int[][] inBatches(ImageGenerator gen, String label, List<int[]> ids, int[] uncond, int steps, int pad, int[][] follow) {
        int[][] codes = new int[ids.size()][];
        StepProgress bar = new StepProgress(System.err, label, Math.multiplyExact(ids.size(), steps));
        for (int from = 0; from < ids.size(); from += batchSize) {
            int to = Math.min(ids.size(), from + batchSize), done = from;
            List<int[]> batch = ids.subList(from, to);
            IntConsumer step = s -> bar.update(done * steps + s * (to - done));
            int[][] got = follow == null ? gen.generate(batch, uncond, steps, cfg, SamplingParams.GREEDY, pad, step)
                    : gen.followCodes(batch, uncond, Arrays.copyOfRange(follow, from, to), cfg, pad, step);
            System.arraycopy(got, 0, codes, from, got.length);
        }
        return codes;
    }

    /** The non-blank lines of a prompts file. */
    static List<String> captions(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--prompts " + file + ": no such file");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(line.strip());
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--prompts " + file + ": no captions (one per line)");
        return out;
    }
}
