package io.liquid4j.demo;

import static io.liquid4j.demo.DemoResults.num;

import io.liquid4j.demo.world.Scene;
import io.liquid4j.image.Chart;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.liquid.train.LossPlot;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
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
 * `liquid demo --study`: the paper's three findings in miniature, on the demo's data, VQGAN and
 * tokenizer. (1) Scaling: LMs of four sizes, each pretrained on the text and then trained on
 * the mix; held-out text-to-image loss against training FLOPs (6·N·tokens, N = non-embedding
 * parameters) with a power law fitted to each size's final point. (2) The cost of image data:
 * held-out text perplexity after the mix against a control that continues from the same weights
 * on the text alone for the same steps, by size. (3) Transfer between tasks: from the standard
 * model, text-to-image alone vs. text-to-image plus as many extra captioning samples (of other
 * images), and captioning alone vs. captioning plus text-to-image, compared on held-out loss of
 * the first task; the task alone is trained twice, for the same epochs and for the same steps as
 * the pair, so that neither more data nor more optimizer steps alone explains a difference.
 */
final class Study {
    /** One LM shape of the scaling runs. */
    record Size(String tag, int hidden, int layers, int heads) {}

    static final List<Size> SIZES = List.of(new Size("xs", 64, 2, 2), new Size("s", 96, 3, 3), new Size("m", 128, 4, 4), new Size("l", 160, 5, 5));
    /** Held-out evaluations per multimodal run (the points of the scaling curves). */
    static final int EVALS = 6;
    /**
     * Steps of each size's multimodal run and of its text-only control (at most the demo's own).
     * The findings compare the study's runs with each other, not with the demo's quality targets,
     * so they need not train as long as the demo: with 500 the whole study took 43 minutes on the
     * 2-core AVX2 VM (README, "The study"), where 1800 steps, 12000-pair halves and two epochs
     * would have taken about 80 minutes (from the same run's times per step).
     */
    static final int STUDY_STEPS = 500;
    /** Image–caption pairs in each of the two halves the transfer runs draw from (at most half the training pairs). */
    static final int TRANSFER_PAIRS = 6000;
    /** Epochs of the transfer runs that are not the equal-steps controls. */
    static final int TRANSFER_EPOCHS = 1;
    /** What the study's stages depend on beyond the demo's settings: changing any of it reruns them. */
    static final String VERSION = "study 2: steps " + STUDY_STEPS + ", text-only controls, transfer pairs " + TRANSFER_PAIRS
            + " x " + TRANSFER_EPOCHS + " epoch(s) and equal-steps controls";

    private final DemoPipeline demo;
    private final Path dir, work;
    private final DemoSettings base;

    Study(DemoPipeline demo, Path dir) {
        this.demo = demo;
        this.dir = dir;
        this.work = demo.work();
        this.base = demo.settings();
    }

    Map<String, Object> run() throws IOException {
        Stages st = new Stages(dir, base + " | seed " + demo.seed() + " | " + VERSION, 2 + SIZES.size() + 6, demo.log());
        st.run("eval-data", "study: held-out text-to-image and captioning sequences", "", this::evalData);
        Map<String, Object> sizes = new LinkedHashMap<>();
        for (Size sz : SIZES) {
            sizes.put(sz.tag(), st.run("size-" + sz.tag(), String.format(Locale.ROOT, "study: LM size %s (hidden %d, %d layers): pretrain, extend, train on the mix",
                    sz.tag(), sz.hidden(), sz.layers()), sz.toString(), d -> scalingRun(d, sz)));
        }
        st.run("halves", "study: the image-caption pairs built as text-to-image and as captioning, in two halves", "", this::halves);
        Map<String, Object> transfer = new LinkedHashMap<>();
        for (String[] task : new String[][] {{"t2i", "caption", "text-to-image", "captioning"}, {"caption", "t2i", "captioning", "text-to-image"}}) {
            String alone = task[0], pair = task[0] + "+" + task[1];
            List<String> aloneFiles = List.of("p1-" + task[0] + ".jsonl"), pairFiles = List.of("p1-" + task[0] + ".jsonl", "p2-" + task[1] + ".jsonl");
            transfer.put(alone, st.run(alone, "study: " + task[2] + " alone", "", d -> transferRun(d, aloneFiles, epochSteps(aloneFiles))));
            transfer.put(pair, st.run(pair, "study: " + task[2] + " plus " + task[3] + " of other images", "", d -> transferRun(d, pairFiles, epochSteps(pairFiles))));
            transfer.put(alone + "-steps", st.run(alone + "-steps", "study: " + task[2] + " alone, as many steps as with " + task[3],
                    "", d -> transferRun(d, aloneFiles, epochSteps(pairFiles))));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("sizes", sizes);
        r.put("transfer", transfer);
        r.put("seconds", st.seconds());
        return r;
    }

    /** Held-out scenes (seen colour×kind pairs), encoded, built once as text-to-image and once as captioning sequences. */
    private Map<String, Object> evalData(Path d) throws IOException {
        SplittableRandom rng = new SplittableRandom(demo.seed() + 61);
        Path images = Files.createDirectories(d.resolve("images"));
        int n = base.name().equals("tiny") ? 8 : 192;
        try (BufferedWriter w = Files.newBufferedWriter(d.resolve("pairs.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < n; i++) {
                Scene sc = demo.world().sample(rng, false);
                String name = String.format(Locale.ROOT, "%05d.png", i);
                ImageFiles.writePng(demo.world().render(sc), images.resolve(name));
                w.write(Json.write(Map.of("caption", demo.world().caption(sc, rng), "image", "images/" + name)) + "\n");
            }
        }
        build(d.resolve("pairs.jsonl"), d.resolve("eval-t2i.jsonl"), 1.0);
        build(d.resolve("pairs.jsonl"), d.resolve("eval-caption.jsonl"), 0.0);
        return Map.of("scenes", (long) n);
    }

    /** `liquid prepare --build`: records → the exact sequences trained on, all text-to-image (ratio 1) or all captioning (0). */
    private void build(Path pairs, Path out, double t2iRatio) {
        demo.cli().run(true, "prepare", "--model", work.resolve("liquid-init/model").toString(), "--data", pairs.toString(), "--out", out.toString(),
                "--build", "--t2i-ratio", String.valueOf(t2iRatio), "--uncond-prob", t2iRatio > 0 ? "0.1" : "0", "--seed", String.valueOf(demo.seed()));
    }

    private Map<String, Object> scalingRun(Path d, Size sz) throws IOException {
        DemoSettings s = base.withLm(sz.tag(), sz.hidden(), sz.layers(), sz.heads());
        Tokenizer tok = Tokenizer.load(work.resolve("tokenizer"));
        Path config = d.resolve("lm-config.json");
        Files.writeString(config, Json.write(s.lmConfig(tok.bosId(), tok.eosId(), Math.max(0, tok.tokenToId("<pad>")))) + "\n");
        demo.cli().run(false, "init", "--config", config.toString(), "--tokenizer", work.resolve("tokenizer/tokenizer.json").toString(),
                "--out", d.resolve("init").toString(), "--seed", String.valueOf(demo.seed()));
        demo.train(d.resolve("init"), List.of(work.resolve("data/text.jsonl")), d.resolve("lm"), s.pretrainSteps(), s.lr(), 0, List.of(), 0);
        int grid = s.grid();
        demo.cli().run(false, "convert-weights", "extend-vocab", "--model", d.resolve("lm/final").toString(), "--codes", String.valueOf(s.vqCodes()),
                "--grid", grid + "x" + grid, "--vqgan", work.resolve("vqgan/model").toString(), "--out", d.resolve("liquid-init").toString());
        Path evalDir = dir.resolve("eval-data"), text = work.resolve("data/text.jsonl");
        int steps = studySteps();
        demo.train(d.resolve("liquid-init"), List.of(work.resolve("liquid-init/pairs.codes.jsonl"), text), d.resolve("liquid"),
                steps, s.lr(), 1e-4, List.of(evalDir.resolve("eval-t2i.jsonl"), evalDir.resolve("eval-caption.jsonl")), Math.max(1, steps / EVALS),
                "--t2i-ratio", String.valueOf(s.t2iRatio()));
        // the control of finding 2: the same start, steps, schedule and z-loss on the text alone
        demo.train(d.resolve("liquid-init"), List.of(text), d.resolve("text-only"), steps, s.lr(), 1e-4, List.of(), 0);
        List<String> heldOut = Evaluation.heldOutText(work.resolve("data/text-heldout.jsonl"));
        CausalLM before = CausalLM.fromPretrained(d.resolve("lm/final"), DType.F32, io.liquid4j.tensor.Device.CPU);
        long params = nonEmbedding(before);
        double pplBefore = ppl(before, Tokenizer.load(d.resolve("lm/final")), heldOut, s);
        double pplAfter = ppl(d.resolve("liquid/final"), heldOut, s);
        double pplTextOnly = ppl(d.resolve("text-only/final"), heldOut, s);
        // FLOPs at each evaluation: 6 · N · tokens trained so far (metrics.csv counts every step's tokens)
        List<double[]> tokens = LossPlot.read(d.resolve("liquid/metrics.csv"), "tokens");
        List<double[]> t2i = evalColumn(d.resolve("liquid/eval.csv"), "t2i");
        List<Object> curve = new ArrayList<>();
        for (double[] p : t2i) {
            double seen = 0;
            for (double[] t : tokens) if (t[0] <= p[0]) seen += t[1];
            curve.add(List.of(6.0 * params * seen, p[1]));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("hidden", (long) sz.hidden());
        r.put("layers", (long) sz.layers());
        r.put("params_non_embedding", params);
        r.put("pretrain_steps", (long) s.pretrainSteps());
        r.put("steps", (long) steps);
        r.put("ppl_before", pplBefore);
        r.put("ppl_after", pplAfter);
        r.put("ppl_text_only", pplTextOnly);
        r.put("t2i_curve", curve);
        r.put("caption_final", last(evalColumn(d.resolve("liquid/eval.csv"), "caption")));
        return r;
    }

    private static long nonEmbedding(CausalLM lm) {
        long vocabRows = (long) lm.config().vocabSize() * lm.config().hiddenSize();
        return lm.parameterCount() - vocabRows * (lm.config().tieWordEmbeddings() ? 1 : 2);
    }

    private static double ppl(CausalLM lm, Tokenizer tok, List<String> docs, DemoSettings s) {
        return Evaluation.perplexity(lm, tok, docs, s.seqLen()).perplexity();
    }

    private static double ppl(Path model, List<String> docs, DemoSettings s) throws IOException {
        return ppl(CausalLM.fromPretrained(model, DType.F32, io.liquid4j.tensor.Device.CPU), Tokenizer.load(model), docs, s);
    }

    /** Multimodal (and control) steps of each scaling run. */
    private int studySteps() { return Math.min(STUDY_STEPS, base.liquidSteps()); }

    /** Steps that train TRANSFER_EPOCHS epochs over these files of the halves directory (rows of seqLen hold about seqLen / 96 sequences). */
    private int epochSteps(List<String> files) throws IOException {
        long sequences = 0;
        for (String f : files) {
            try (var lines = Files.lines(dir.resolve("halves").resolve(f))) {
                sequences += lines.count();
            }
        }
        double rowsPerStep = base.batchSize() * Math.max(1, base.seqLen() / 96.0);
        return (int) Math.max(2, Math.round(TRANSFER_EPOCHS * sequences / rowsPerStep));
    }

    /** (step, loss) of one task in a run's eval.csv. */
    static List<double[]> evalColumn(Path evalCsv, String task) throws IOException {
        List<double[]> out = new ArrayList<>();
        if (!Files.exists(evalCsv)) return out;
        List<String> lines = Files.readAllLines(evalCsv);
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.split(",");
            if (f.length >= 3 && f[1].equals(task)) out.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[2])});
        }
        return out;
    }

    private static double last(List<double[]> points) { return points.isEmpty() ? Double.NaN : points.getLast()[1]; }

    /** Two disjoint sets of TRANSFER_PAIRS training pairs (fewer when the data has fewer), each built as text-to-image and as captioning. */
    private Map<String, Object> halves(Path d) throws IOException {
        List<String> lines = Files.readAllLines(work.resolve("data/pairs.jsonl"), StandardCharsets.UTF_8);
        int half = Math.min(TRANSFER_PAIRS, lines.size() / 2);
        // image paths in pairs.jsonl are relative to the data directory: the halves live here, so they name the images absolutely
        Path images = work.resolve("data").toAbsolutePath();
        List<String> p1 = new ArrayList<>(), p2 = new ArrayList<>();
        for (int i = 0; i < 2 * half; i++) {
            Map<?, ?> rec = (Map<?, ?>) Json.parse(lines.get(i));
            String abs = Json.write(Map.of("caption", rec.get("caption"), "image", images.resolve((String) rec.get("image")).toString()));
            (i < half ? p1 : p2).add(abs);
        }
        Files.write(d.resolve("p1.jsonl"), p1, StandardCharsets.UTF_8);
        Files.write(d.resolve("p2.jsonl"), p2, StandardCharsets.UTF_8);
        for (String p : List.of("p1", "p2")) {
            build(d.resolve(p + ".jsonl"), d.resolve(p + "-t2i.jsonl"), 1.0);
            build(d.resolve(p + ".jsonl"), d.resolve(p + "-caption.jsonl"), 0.0);
        }
        return Map.of("half", (long) half);
    }

    private Map<String, Object> transferRun(Path d, List<String> files, int steps) throws IOException {
        Path halves = dir.resolve("halves"), evalDir = dir.resolve("eval-data");
        List<Path> data = files.stream().map(halves::resolve).toList();
        long sequences = 0;
        for (Path p : data) {
            try (var lines = Files.lines(p)) {
                sequences += lines.count();
            }
        }
        demo.train(work.resolve("liquid-init/model"), data, d.resolve("run"), steps, base.lr(), 1e-4,
                List.of(evalDir.resolve("eval-t2i.jsonl"), evalDir.resolve("eval-caption.jsonl")), Math.max(1, steps / EVALS));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("steps", (long) steps);
        r.put("sequences", sequences);
        r.put("t2i_loss", last(evalColumn(d.resolve("run/eval.csv"), "t2i")));
        r.put("caption_loss", last(evalColumn(d.resolve("run/eval.csv"), "caption")));
        return r;
    }

    // ---- report ----

    /** A least-squares line through (log10 x, log10 y): {intercept, slope}, i.e. y = 10^a · x^b. */
    static double[] powerLaw(List<double[]> points) {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : points) {
            if (!(p[0] > 0 && p[1] > 0)) continue;
            double x = Math.log10(p[0]), y = Math.log10(p[1]);
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        if (n < 2) return new double[] {Double.NaN, Double.NaN};
        double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        return new double[] {(sy - b * sx) / n, b};
    }

    @SuppressWarnings("unchecked")
    private static List<double[]> curve(Map<String, Object> size) {
        List<double[]> out = new ArrayList<>();
        for (Object o : (List<Object>) size.get("t2i_curve")) {
            List<Object> p = (List<Object>) o;
            out.add(new double[] {((Number) p.get(0)).doubleValue(), ((Number) p.get(1)).doubleValue()});
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sizes(Map<String, Object> study) { return (Map<String, Object>) study.get("sizes"); }

    /** A nested object of the study's JSON (the parser gives Map<String, Object> for every object). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object v) {
        return (Map<String, Object>) v;
    }

    private static List<double[]> finals(Map<String, Object> study) {
        List<double[]> f = new ArrayList<>();
        for (Object v : sizes(study).values()) {
            List<double[]> c = curve(asMap(v));
            if (!c.isEmpty()) f.add(c.getLast());
        }
        return f;
    }

    static void charts(Map<String, Object> study, Path images) {
        Chart scaling = new Chart("Finding 1: held-out text-to-image loss vs training FLOPs", "FLOPs (6·N·tokens)", "T2I validation loss", true, true);
        sizes(study).forEach((tag, v) -> scaling.line(tag + " (" + String.format(Locale.ROOT, "%.2fM", num(asMap(v), "params_non_embedding") / 1e6) + " params)",
                curve(asMap(v))));
        List<double[]> f = finals(study);
        double[] fit = powerLaw(f);
        if (!Double.isNaN(fit[1])) {
            double x0 = f.stream().mapToDouble(p -> p[0]).min().orElse(1), x1 = f.stream().mapToDouble(p -> p[0]).max().orElse(1);
            scaling.dashed(String.format(Locale.ROOT, "power law L ∝ C^%.3f", fit[1]),
                    List.of(new double[] {x0, Math.pow(10, fit[0]) * Math.pow(x0, fit[1])}, new double[] {x1, Math.pow(10, fit[0]) * Math.pow(x1, fit[1])}));
        }
        scaling.write(images.resolve("study-scaling.png"));
        List<double[]> cost = new ArrayList<>(), change = new ArrayList<>();
        sizes(study).values().forEach(v -> {
            Map<String, Object> m = asMap(v);
            double params = num(m, "params_non_embedding");
            cost.add(new double[] {params, 100 * imageCost(m)});
            change.add(new double[] {params, 100 * (num(m, "ppl_after") / num(m, "ppl_before") - 1)});
        });
        new Chart("Finding 2: text perplexity of the mix against text-only training, by model size", "non-embedding parameters", "Δ perplexity (%)", true, false)
                .line("mix / text-only − 1", cost).line("mix / before − 1", change).write(images.resolve("study-text-cost.png"));
    }

    /** Held-out text perplexity after the mix relative to the text-only control of the same steps, minus 1. */
    private static double imageCost(Map<String, Object> size) { return num(size, "ppl_after") / num(size, "ppl_text_only") - 1; }

    static void section(ReportDoc d, Map<String, Object> study) {
        d.h2("The study: the paper's three findings in miniature");
        List<List<String>> rows = new ArrayList<>();
        List<double[]> cost = new ArrayList<>();
        sizes(study).forEach((tag, v) -> {
            Map<String, Object> m = asMap(v);
            List<double[]> c = curve(m);
            cost.add(new double[] {num(m, "params_non_embedding"), imageCost(m)});
            rows.add(List.of(tag, String.format(Locale.ROOT, "%d × %d", (long) num(m, "hidden"), (long) num(m, "layers")),
                    String.format(Locale.ROOT, "%.2fM", num(m, "params_non_embedding") / 1e6),
                    c.isEmpty() ? "–" : String.format(Locale.ROOT, "%.3g", c.getLast()[0]), c.isEmpty() ? "–" : String.format(Locale.ROOT, "%.4f", c.getLast()[1]),
                    String.format(Locale.ROOT, "%.3f", num(m, "ppl_before")), String.format(Locale.ROOT, "%.3f", num(m, "ppl_text_only")),
                    String.format(Locale.ROOT, "%.3f", num(m, "ppl_after")), String.format(Locale.ROOT, "%+.1f%%", 100 * imageCost(m))));
        });
        d.p(String.format(Locale.ROOT, "Every size: `init` → `train` on the text (%d steps) → `extend-vocab` → `train` on the mix (%d steps, held-out loss every %d), "
                        + "and from the same extended weights a text-only `train` of the same steps, schedule and z-loss (the control of finding 2).",
                (long) num(first(study), "pretrain_steps"), (long) num(first(study), "steps"), Math.max(1, (long) num(first(study), "steps") / EVALS)));
        d.table(List.of("size", "hidden × layers", "non-emb. params", "FLOPs", "T2I val. loss", "text ppl before", "after text-only", "after the mix",
                "cost of image data"), rows);
        double[] fit = powerLaw(finals(study));
        List<double[]> f = finals(study);
        boolean monotone = true;
        for (int i = 1; i < f.size(); i++) monotone &= f.get(i)[1] < f.get(i - 1)[1];
        d.p(String.format(Locale.ROOT, "**Finding 1 (scaling)**: the final held-out text-to-image losses follow L ∝ C^%.3f across the sizes. The paper finds "
                        + "visual-generation loss falling as a power law of compute, larger models being more compute-efficient. Here the loss %s with size at the "
                        + "same number of steps: the miniature %s.", fit[1], monotone ? "falls monotonically" : "does not fall monotonically",
                monotone && fit[1] < 0 ? "agrees" : "does not reproduce it cleanly (tiny models, short runs, one seed)"));
        d.image("images/study-scaling.png", "scaling");
        boolean shrinking = cost.size() > 1 && cost.getLast()[1] < cost.getFirst()[1];
        d.p(String.format(Locale.ROOT, "**Finding 2 (the cost of image data)**: the paper finds that mixing image generation into training costs language ability less "
                        + "as models grow. Here held-out text perplexity after the mix, against the text-only control of the same steps, is %+.1f%% for the smallest "
                        + "model and %+.1f%% for the largest: the miniature %s.",
                100 * cost.getFirst()[1], 100 * cost.getLast()[1], shrinking ? "agrees in direction" : "does not show it"));
        d.image("images/study-text-cost.png", "text cost");
        @SuppressWarnings("unchecked") Map<String, Object> t = (Map<String, Object>) study.get("transfer");
        d.table(List.of("run", "training sequences", "steps", "held-out T2I loss", "held-out caption loss"), List.of(
                transferRow("text-to-image alone", t, "t2i"), transferRow("text-to-image alone, as many steps as the pair", t, "t2i-steps"),
                transferRow("text-to-image + captioning", t, "t2i+caption"),
                transferRow("captioning alone", t, "caption"), transferRow("captioning alone, as many steps as the pair", t, "caption-steps"),
                transferRow("captioning + text-to-image", t, "caption+t2i")));
        d.p("**Finding 3 (mutual benefit)**: the paper finds understanding and generation help each other. " + transfer(t, "t2i", "captioning", "t2i_loss")
                + " " + transfer(t, "caption", "text-to-image", "caption_loss"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> first(Map<String, Object> study) { return (Map<String, Object>) sizes(study).values().iterator().next(); }

    /** One sentence of finding 3: the task's held-out loss alone (equal epochs, equal steps) against with the other task's data. */
    private static String transfer(Map<String, Object> t, String task, String other, String loss) {
        double alone = num(t, task + "." + loss), aloneSteps = num(t, task + "-steps." + loss), pair = num(t, task + "+" + (task.equals("t2i") ? "caption" : "t2i") + "." + loss);
        String name = task.equals("t2i") ? "text-to-image" : "captioning";
        return String.format(Locale.ROOT, "Adding %s data of other images changes the held-out %s loss from %.4f (alone, same epochs) and %.4f (alone, same steps) to %.4f: "
                        + "it %s at equal epochs and %s at equal steps.", other, name, alone, aloneSteps, pair,
                pair < alone ? "helps" : "does not help", pair < aloneSteps ? "helps" : "does not help");
    }

    private static List<String> transferRow(String name, Map<String, Object> t, String key) {
        return List.of(name, String.format(Locale.ROOT, "%d", (long) num(t, key + ".sequences")), String.format(Locale.ROOT, "%d", (long) num(t, key + ".steps")),
                String.format(Locale.ROOT, "%.4f", num(t, key + ".t2i_loss")), String.format(Locale.ROOT, "%.4f", num(t, key + ".caption_loss")));
    }
}
