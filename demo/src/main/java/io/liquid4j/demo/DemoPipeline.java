package io.liquid4j.demo;

import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.ShapeScorer;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.data.DataOptions;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Liquid recipe end to end on ShapesWorld, every step an ordinary `liquid` command:
 * render the data; train a BPE tokenizer on its text; train a VQGAN on its images; pretrain a
 * small Llama on the text; extend its vocabulary with the image codes and encode the images;
 * continue training on text + text-to-image + captioning with z-loss; then evaluate with the
 * exact scorer and write the report.
 */
final class DemoPipeline {
    static final String SPECIALS = "<pad>,<eos>,<bos>,<unk>";

    private final Path out, work;
    private final DemoSettings s;
    private final long seed;
    private final Cli cli;
    private final String device;
    private final PrintStream log;
    private final ShapesWorld world;

    DemoPipeline(Path out, DemoSettings settings, long seed, String device, PrintStream log) {
        this.out = out;
        this.work = out.resolve("work");
        this.s = settings;
        this.seed = seed;
        this.device = device;
        this.cli = new Cli(device);
        this.log = log;
        this.world = new ShapesWorld(settings.imageSize());
    }

    /** Where the stages keep their outputs. */
    Path work() { return work; }

    /** Runs (or reuses) every stage and writes the report; returns the report's figures. */
    DemoResults run(boolean study) throws IOException {
        Files.createDirectories(work);
        Stages st = new Stages(work, "seed " + seed, 8 + (study ? 1 : 0), log);
        DemoResults r = new DemoResults(s, seed, device);
        r.data = st.run("data", "ShapesWorld: render " + s.trainImages() + " captioned images and " + s.textDocs() + " text documents",
                List.of(ShapesWorld.VERSION, s.imageSize(), s.trainImages(), s.textDocs(), s.heldOutDocs()).toString(), this::data);
        r.scorer = st.run("scorer", "validate the exact scorer on ground-truth renders", s.name(), this::validateScorer);
        double rate = ((Number) r.scorer.get("validation_rate")).doubleValue();
        if (rate < 0.99) throw new IllegalStateException(String.format(Locale.ROOT, "the scorer judged only %.1f%% of ground-truth renders right (needs 99%%): its numbers would not be trustworthy", 100 * rate));
        r.tokenizer = st.run("tokenizer", "train a BPE tokenizer on the text (liquid train-tokenizer)", String.valueOf(s.vocabSize()), this::tokenizer);
        // the VQGAN and the text LM do not depend on each other: on a CPU of several threads they
        // train side by side, one thread each (neither gets much from a second core)
        List<Map<String, Object>> vqAndLm = st.runSideBySide(
                "vqgan", "train the VQGAN image tokenizer (liquid vq train)",
                List.of(s.vqConfig(), s.vqSteps(), s.vqBatch(), s.vqLr(), s.vqDecaySteps(), DemoSettings.VQ_RESTART_EVERY).toString(), this::vqgan,
                "lm", "pretrain a Llama-style LM on the text (liquid init, liquid train)",
                List.of(s.lmHidden(), s.lmLayers(), s.lmHeads(), s.pretrainSteps(), s.batchSize(), s.seqLen(), s.lr()).toString(), this::pretrain,
                device.equals("cpu") && Backends.cpuThreads() > 1);
        r.vqgan = vqAndLm.get(0);
        r.lm = vqAndLm.get(1);
        r.extend = st.run("liquid-init", "extend the vocabulary with the image codes, encode the images (extend-vocab, prepare)", "", this::extend);
        r.liquid = st.run("liquid", "train on text + text-to-image + captioning with z-loss (liquid train)",
                List.of(s.liquidSteps(), s.batchSize(), s.seqLen(), s.liquidLr(), s.t2iRatio(), s.liquidDecaySteps()).toString(), this::liquid);
        r.eval = st.run("eval", "evaluate with the scorer: generated images, captions, perplexity, reconstructions",
                List.of(s.evalPerPair(), s.captionImages(), s.cfg(), s.temperature(), s.topK(), device).toString(), dir ->
                new Evaluation(world, s, seed, device, log).run(dir, work));
        if (study) r.study = st.run("study", "the study: scaling, the cost of image data, transfer between tasks (20-45 minutes on 2 cores)", "", dir -> new Study(this, dir).run());
        r.seconds.putAll(st.seconds());
        r.overlap.putAll(st.overlap());
        new Report(out, work, r).write();
        return r;
    }

    DemoSettings settings() { return s; }

    long seed() { return seed; }

    Cli cli() { return cli; }

    PrintStream log() { return log; }

    ShapesWorld world() { return world; }

    private Map<String, Object> data(Path dir) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        Path images = Files.createDirectories(dir.resolve("images"));
        var bar = new io.liquid4j.cli.StepProgress(System.err, "render", s.trainImages());
        int two = 0;
        List<String> tokenizerText = new ArrayList<>();
        try (BufferedWriter pairs = Files.newBufferedWriter(dir.resolve("pairs.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < s.trainImages(); i++) {
                Scene scene = world.sample(rng, false);
                if (scene.shapes().size() == 2) two++;
                String caption = world.caption(scene, rng);
                String name = String.format(Locale.ROOT, "%06d.png", i);
                ImageFiles.writePng(world.render(scene), images.resolve(name));
                pairs.write(Json.write(Map.of("caption", caption, "image", "images/" + name)) + "\n");
                tokenizerText.add(caption);
                bar.update(i + 1, "");
            }
        }
        List<String> text = world.textCorpus(rng, s.textDocs());
        writeText(dir.resolve("text.jsonl"), text);
        List<String> heldOut = world.textCorpus(new SplittableRandom(seed ^ 0x5DEECE66DL), s.heldOutDocs());
        writeText(dir.resolve("text-heldout.jsonl"), heldOut);
        tokenizerText.addAll(text);
        // The instruction phrases of the Liquid sequences are text the LM reads too, as often as
        // training will show them (the released share of pairs as text-to-image, one of ten
        // phrases each; the rest captioning): seen once, BPE would leave them near byte level,
        // 30-55 tokens between a caption and its image instead of about 10.
        int t2iSamples = (int) (s.trainImages() * DataOptions.DEFAULT_T2I_RATIO);
        for (String p : SequenceBuilder.T2I_PHRASES) {
            for (int k = 0; k < Math.max(1, t2iSamples / SequenceBuilder.T2I_PHRASES.size()); k++) tokenizerText.add(p.strip());
        }
        for (int k = 0; k < Math.max(1, s.trainImages() - t2iSamples); k++) tokenizerText.add(SequenceBuilder.CAPTION_INSTRUCTION);
        Files.write(dir.resolve("tokenizer-corpus.txt"), tokenizerText.stream().map(t -> t.replace('\n', ' ')).toList(), StandardCharsets.UTF_8);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", (long) s.trainImages());
        r.put("two_shape_images", (long) two);
        r.put("text_docs", (long) text.size());
        r.put("heldout_docs", (long) heldOut.size());
        return r;
    }

    private static void writeText(Path file, List<String> docs) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String d : docs) w.write(Json.write(Map.of("text", d)) + "\n");
        }
    }

    private Map<String, Object> validateScorer(Path dir) {
        int n = s.name().equals("tiny") ? 200 : 2000;
        double rate = ShapeScorer.validate(world, n, seed + 11);
        log.printf(Locale.ROOT, "      the scorer is right on %.2f%% of %d ground-truth renders%n", 100 * rate, n);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("validation_rate", rate);
        r.put("renders", (long) n);
        return r;
    }

    private Map<String, Object> tokenizer(Path dir) throws IOException {
        cli.run(false, "train-tokenizer", "--data", work.resolve("data/tokenizer-corpus.txt").toString(), "--vocab-size", String.valueOf(s.vocabSize()),
                "--special", SPECIALS, "--out", dir.toString());
        Tokenizer tok = Tokenizer.load(dir);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("vocab_size", (long) tok.vocabSize());
        return r;
    }

    private Map<String, Object> vqgan(Path dir) throws IOException {
        Path config = dir.resolve("vq-config.json");
        Files.writeString(config, Json.write(s.vqConfig()) + "\n");
        cli.run(true, "vq", "train", "--images", work.resolve("data/images").toString(), "--config", config.toString(),
                "--out", dir.resolve("model").toString(), "--steps", String.valueOf(s.vqSteps()), "--batch-size", String.valueOf(s.vqBatch()),
                "--lr", String.valueOf(s.vqLr()), "--decay-steps", String.valueOf(s.vqDecaySteps()), "--restart-every", String.valueOf(DemoSettings.VQ_RESTART_EVERY), "--loss", "l2", "--seed", String.valueOf(seed), "--eval-images", String.valueOf(Math.min(64, s.trainImages() / 4)));
        @SuppressWarnings("unchecked") Map<String, Object> eval = (Map<String, Object>) Json.parseFile(dir.resolve("model/eval.json"));
        return new LinkedHashMap<>(eval);
    }

    private Map<String, Object> pretrain(Path dir) throws IOException {
        Tokenizer tok = Tokenizer.load(work.resolve("tokenizer"));
        Path config = dir.resolve("lm-config.json");
        Files.writeString(config, Json.write(s.lmConfig(tok.bosId(), tok.eosId(), Math.max(0, tok.tokenToId("<pad>")))) + "\n");
        cli.run(false, "init", "--config", config.toString(), "--tokenizer", work.resolve("tokenizer/tokenizer.json").toString(),
                "--out", dir.resolve("init").toString(), "--seed", String.valueOf(seed));
        train(dir.resolve("init"), List.of(work.resolve("data/text.jsonl")), dir.resolve("run"), s.pretrainSteps(), s.lr(), 0, List.of(), 0);
        return Map.of("steps", (long) s.pretrainSteps());
    }

    /** `liquid train` with the demo's shape: packed rows, peak rate lr (cosine unless extra names a schedule); held-out data evaluated every evalEvery steps when given. */
    void train(Path model, List<Path> data, Path run, int steps, double lr, double zLoss, List<Path> evalData, int evalEvery, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(),
                "--data", String.join(",", data.stream().map(Path::toString).toList()), "--out", run.toString(),
                "--steps", String.valueOf(steps), "--batch-size", String.valueOf(s.batchSize()), "--seq-len", String.valueOf(s.seqLen()),
                "--pack", "--lr", String.valueOf(lr), "--warmup", String.valueOf(Math.max(1, steps / 20)), "--weight-decay", "0.01",
                "--seed", String.valueOf(seed)));
        if (zLoss > 0) args.addAll(List.of("--z-loss", String.valueOf(zLoss)));
        args.addAll(List.of(extra));
        if (!evalData.isEmpty()) {
            args.addAll(List.of("--eval-data", String.join(",", evalData.stream().map(Path::toString).toList()), "--eval-every", String.valueOf(evalEvery)));
        }
        cli.run(true, args.toArray(String[]::new));
    }

    private Map<String, Object> extend(Path dir) throws IOException {
        int grid = s.grid();
        cli.run(false, "convert-weights", "extend-vocab", "--model", work.resolve("lm/run/final").toString(), "--codes", String.valueOf(s.vqCodes()),
                "--grid", grid + "x" + grid, "--vqgan", work.resolve("vqgan/model").toString(), "--out", dir.resolve("model").toString());
        cli.run(true, "prepare", "--model", dir.resolve("model").toString(), "--data", work.resolve("data/pairs.jsonl").toString(),
                "--out", dir.resolve("pairs.codes.jsonl").toString());
        return Map.of("codes", (long) s.vqCodes(), "grid", (long) grid);
    }

    private Map<String, Object> liquid(Path dir) {
        train(work.resolve("liquid-init/model"), List.of(work.resolve("liquid-init/pairs.codes.jsonl"), work.resolve("data/text.jsonl")),
                dir.resolve("run"), s.liquidSteps(), s.liquidLr(), 1e-4, List.of(), 0, "--t2i-ratio", String.valueOf(s.t2iRatio()),
                "--schedule", "constant", "--decay-steps", String.valueOf(s.liquidDecaySteps()));
        return Map.of("steps", (long) s.liquidSteps(), "z_loss", 1e-4, "t2i_ratio", s.t2iRatio(), "decay_steps", (long) s.liquidDecaySteps());
    }
}
