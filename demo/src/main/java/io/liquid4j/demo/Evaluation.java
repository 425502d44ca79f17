package io.liquid4j.demo;

import io.liquid4j.cli.DeviceOption;
import io.liquid4j.cli.StepProgress;
import io.liquid4j.demo.world.CaptionParser;
import io.liquid4j.demo.world.Judgement;
import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.ShapeScorer;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.GenerationResult;
import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageGrid;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.train.Perplexity;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The demo's measurements, every one decided by the exact scorer or computed exactly:
 * generated images judged against their prompts (single shapes with seen and held-out
 * colour×kind pairs, and two-shape prompts), captions of fresh renders parsed and judged against
 * the scene, text perplexity of the LM before and after the multimodal stage, and the VQGAN's
 * reconstruction PSNR with the scorer's verdict on reconstructions (the ceiling for generation).
 */
final class Evaluation {
    /** Display scale of the 32-px images in the report's grids. */
    static final int ZOOM = 3;

    private final ShapesWorld world;
    private final DemoSettings s;
    private final long seed;
    private final Device dev;
    private final PrintStream log;
    private final ShapeScorer scorer = new ShapeScorer();

    Evaluation(ShapesWorld world, DemoSettings settings, long seed, String device, PrintStream log) {
        this.world = world;
        this.s = settings;
        this.seed = seed;
        this.dev = DeviceOption.parse(device);
        this.log = log;
    }

    Map<String, Object> run(Path dir, Path work) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        Path liquidDir = work.resolve("liquid/run/final");
        LiquidLayout layout = LiquidLayout.load(liquidDir);
        Tokenizer tokenizer = Tokenizer.load(liquidDir);
        VQModel vq = VQModel.load(work.resolve("vqgan/model"));
        if (!dev.isCpu()) vq.to(null, dev);
        List<String> heldOut = heldOutText(work.resolve("data/text-heldout.jsonl"));
        r.put("perplexity_before", perplexity(work.resolve("lm/run/final"), heldOut));
        CausalLM lm = CausalLM.fromPretrained(liquidDir, DType.F32, dev);
        r.put("perplexity_after", perplexity(lm, tokenizer, heldOut));
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, layout);
        r.put("reconstruction", reconstructions(dir, vq));
        r.put("generation", generation(dir, lm, layout, seq, vq));
        r.put("captions", captions(dir, lm, layout, seq, tokenizer, vq));
        return r;
    }

    static List<String> heldOutText(Path jsonl) throws IOException {
        return io.liquid4j.cli.CliFiles.strings(jsonl, "text");
    }

    private double perplexity(Path modelDir, List<String> docs) throws IOException {
        return perplexity(CausalLM.fromPretrained(modelDir, DType.F32, dev), Tokenizer.load(modelDir), docs);
    }

    private double perplexity(CausalLM lm, Tokenizer tok, List<String> docs) {
        Perplexity.Result p = perplexity(lm, tok, docs, s.seqLen());
        log.printf(Locale.ROOT, "      held-out text perplexity %.3f (%,d tokens)%n", p.perplexity(), p.tokens());
        return p.perplexity();
    }

    /** Held-out text scored as `liquid eval perplexity` does: windows of seqLen moved by half of it, 16 a batch. */
    static Perplexity.Result perplexity(CausalLM lm, Tokenizer tok, List<String> docs, int seqLen) {
        return Perplexity.of(lm, docs.stream().map(d -> tok.encode(d, true)).toList(), seqLen, seqLen / 2, 16, null);
    }

    /** VQGAN round trips of the evaluation scenes: PSNR, and how often the scorer still judges them right. */
    private Map<String, Object> reconstructions(Path dir, VQModel vq) throws IOException {
        List<Scene> scenes = world.evaluationScenes(seed + 31, 4);
        Tally t = new Tally();
        double psnr = 0;
        List<RgbImage> cells = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        try (var _ = GradMode.noGrad()) {
            for (Scene scene : scenes) {
                RgbImage truth = world.render(scene);
                RgbImage rec;
                try (var _ = TensorScope.open()) {
                    Tensor codes = vq.encode(ImageTensors.toTensor(truth).to(dev));
                    rec = ImageTensors.fromTensor(vq.decode(codes).to(Device.CPU), 0);
                }
                psnr += ImageTensors.psnr(truth, rec);
                t.add(scorer.judge(rec, scene));
                if (cells.size() < 24) {
                    cells.add(zoom(truth));
                    labels.add("original");
                    cells.add(zoom(rec));
                    labels.add("reconstruction");
                }
            }
        }
        ImageFiles.writePng(ImageGrid.compose(cells, labels, 8), dir.resolve("reconstructions.png"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("psnr_db", psnr / scenes.size());
        r.put("images", (long) scenes.size());
        r.put("scorer", t.toMap());
        return r;
    }

    /** Images generated from the evaluation prompts with CFG, judged by the scorer. */
    private Map<String, Object> generation(Path dir, CausalLM lm, LiquidLayout layout, SequenceBuilder seq, VQModel vq) throws IOException {
        List<Scene> scenes = world.evaluationScenes(seed + 41, s.name().equals("tiny") ? 2 : 8);
        List<Scene> jobs = new ArrayList<>();
        for (Scene sc : scenes) for (int k = 0; k < s.evalPerPair(); k++) jobs.add(sc);
        Tally seen = new Tally(), held = new Tally(), two = new Tally();
        ImageGenerator gen = new ImageGenerator(lm, layout.textVocabSize(), layout.imageCodes(), true, DType.F32);
        int steps = layout.tokensPerImage(), batch = 16;
        StepProgress bar = new StepProgress(System.err, "imagine", jobs.size());
        List<RgbImage> seenCells = new ArrayList<>(), heldCells = new ArrayList<>();
        List<String> seenLabels = new ArrayList<>(), heldLabels = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int from = 0; from < jobs.size(); from += batch) {
            List<Scene> part = jobs.subList(from, Math.min(jobs.size(), from + batch));
            List<int[]> prompts = part.stream().map(sc -> seq.imagePrompt(world.prompt(sc))).toList();
            int[][] codes;
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                codes = gen.generate(prompts, seq.unconditionalPrompt(), steps, s.cfg(),
                        new SamplingParams(s.temperature(), s.topK(), 1.0, seed + from), 0, n -> { });
            }
            List<RgbImage> images = decode(vq, codes, layout);
            for (int i = 0; i < part.size(); i++) {
                Scene sc = part.get(i);
                Judgement j = scorer.judge(images.get(i), sc);
                boolean isHeld = sc.hasHeldOut();
                (sc.shapes().size() == 2 ? two : isHeld ? held : seen).add(j);
                String label = (j.all() ? "✓ " : "✗ ") + world.prompt(sc);
                if (isHeld) {
                    // up to 4 samples of each held-out prompt, so every prompt is in the grid
                    if (heldCells.size() < 16 && (from + i) % s.evalPerPair() < 4) { heldCells.add(zoom(images.get(i))); heldLabels.add(label); }
                } else if (seenCells.size() < 32 && (from + i) % s.evalPerPair() == 0) {
                    seenCells.add(zoom(images.get(i)));
                    seenLabels.add(label);
                }
            }
            bar.update(from + part.size(), "");
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        ImageFiles.writePng(ImageGrid.compose(seenCells, seenLabels, 8, 3), dir.resolve("generated.png"));
        if (!heldCells.isEmpty()) ImageFiles.writePng(ImageGrid.compose(heldCells, heldLabels, 8, 3), dir.resolve("generated-heldout.png"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("single_seen", seen.toMap());
        r.put("single_heldout", held.toMap());
        r.put("two_shapes", two.toMap());
        r.put("images", (long) jobs.size());
        r.put("seconds", secs);
        r.put("cfg", s.cfg());
        r.put("temperature", s.temperature());
        r.put("top_k", (long) s.topK());
        log.printf(Locale.ROOT, "      generated %d images in %.1f s: single seen %s; held-out %s; two shapes %s%n", jobs.size(), secs, seen, held, two);
        return r;
    }

    private List<RgbImage> decode(VQModel vq, int[][] codes, LiquidLayout layout) {
        int n = codes.length;
        long[] flat = new long[n * layout.tokensPerImage()];
        for (int i = 0; i < n; i++) for (int j = 0; j < codes[i].length; j++) flat[i * layout.tokensPerImage() + j] = codes[i][j];
        List<RgbImage> out = new ArrayList<>(n);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor images = vq.decode(Tensor.fromArray(flat, n, layout.gridRows(), layout.gridCols()).to(dev)).to(Device.CPU);
            for (int i = 0; i < n; i++) out.add(ImageTensors.fromTensor(images, i));
        }
        return out;
    }

    /** Captions of fresh renders (greedy), parsed and judged against the scene they show. */
    private Map<String, Object> captions(Path dir, CausalLM lm, LiquidLayout layout, SequenceBuilder seq, Tokenizer tok, VQModel vq) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed + 51);
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < s.captionImages(); i++) scenes.add(world.sample(rng, true));
        Tally seen = new Tally(), held = new Tally(), two = new Tally();
        TextGenerator gen = new TextGenerator(lm, DType.F32, layout.textVocabSize());
        int[] stops = {tok.eosId()};
        StepProgress bar = new StepProgress(System.err, "caption", scenes.size());
        List<RgbImage> cells = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Map<String, Object>> examples = new ArrayList<>();
        int batch = 16;
        for (int from = 0; from < scenes.size(); from += batch) {
            List<Scene> part = scenes.subList(from, Math.min(scenes.size(), from + batch));
            List<int[]> prompts = new ArrayList<>();
            List<RgbImage> renders = new ArrayList<>();
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                for (Scene sc : part) {
                    RgbImage img = world.render(sc);
                    renders.add(img);
                    long[] c = vq.encode(ImageTensors.toTensor(img).to(dev)).to(Device.CPU).toLongArray();
                    prompts.add(seq.captionPrompt(Arrays.stream(c).mapToInt(Math::toIntExact).toArray()));
                }
                GenerationResult res = gen.generate(prompts, new GenerationConfig(32, SamplingParams.GREEDY, stops, 0), io.liquid4j.generate.TokenListener.NONE);
                for (int i = 0; i < part.size(); i++) {
                    Scene sc = part.get(i);
                    String text = tok.decode(res.tokens().get(i), true).strip();
                    Judgement j = scorer.judgeCaption(sc, CaptionParser.parse(text));
                    (sc.shapes().size() == 2 ? two : sc.hasHeldOut() ? held : seen).add(j);
                    if (cells.size() < 24) {
                        cells.add(zoom(renders.get(i)));
                        labels.add((j.all() ? "✓ " : "✗ ") + text);
                    }
                    if (examples.size() < 12) examples.add(Map.of("caption", text, "truth", world.prompt(sc), "right", j.all()));
                }
            }
            bar.update(from + part.size(), "");
        }
        ImageFiles.writePng(ImageGrid.compose(cells, labels, 8, 3), dir.resolve("captions.png"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("single_seen", seen.toMap());
        r.put("single_heldout", held.toMap());
        r.put("two_shapes", two.toMap());
        r.put("examples", examples);
        log.printf(Locale.ROOT, "      captioned %d images: single seen %s; held-out %s; two shapes %s%n", scenes.size(), seen, held, two);
        return r;
    }

    static RgbImage zoom(RgbImage img) {
        int w = img.width() * ZOOM, h = img.height() * ZOOM;
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = (byte) img.get(x / ZOOM, y / ZOOM, c);
            }
        }
        return new RgbImage(w, h, px);
    }

    /** Counts of right attributes over judged images. */
    static final class Tally {
        int n, count, colour, kind, position, size, all;

        void add(Judgement j) {
            n++;
            if (j.count()) count++;
            if (j.colour()) colour++;
            if (j.kind()) kind++;
            if (j.position()) position++;
            if (j.size()) size++;
            if (j.all()) all++;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", (long) n);
            m.put("count", rate(count));
            m.put("colour", rate(colour));
            m.put("kind", rate(kind));
            m.put("position", rate(position));
            m.put("size", rate(size));
            m.put("all", rate(all));
            return m;
        }

        /** k / n, or JSON null when nothing was judged. */
        private Object rate(int k) { return n == 0 ? Json.NULL : (Object) ((double) k / n); }

        @Override public String toString() {
            return n == 0 ? "none" : String.format(Locale.ROOT, "n=%d colour %.0f%% shape %.0f%% position %.0f%% all %.0f%%",
                    n, 100.0 * colour / n, 100.0 * kind / n, 100.0 * position / n, 100.0 * all / n);
        }
    }
}
