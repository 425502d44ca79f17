package io.liquid4j.demo;

import static io.liquid4j.demo.DemoResults.num;

import io.liquid4j.image.Chart;
import io.liquid4j.liquid.train.LossPlot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** out/demo/report.md, report.html (pictures inlined) and images/: what the run shows, with the scorer's numbers. */
final class Report {
    private final Path out, work;
    private final DemoResults r;

    Report(Path out, Path work, DemoResults results) {
        this.out = out;
        this.work = work;
        this.r = results;
    }

    void write() throws IOException {
        Path images = Files.createDirectories(out.resolve("images"));
        for (String f : List.of("generated.png", "generated-heldout.png", "captions.png", "reconstructions.png")) {
            Path src = work.resolve("eval").resolve(f);
            if (Files.isRegularFile(src)) Files.copy(src, images.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        new Chart("LM training loss: text pretraining, then the multimodal stage", "step", "loss (CE; + z-loss in the second stage)", false, false)
                .line("text pretraining", LossPlot.read(work.resolve("lm/run/metrics.csv"), "loss"))
                .line("multimodal (text + T2I + captioning)", LossPlot.read(work.resolve("liquid/run/metrics.csv"), "loss"))
                .write(images.resolve("lm-loss.png"));
        new Chart("VQGAN training loss", "step", "loss", false, false)
                .line("total", LossPlot.read(work.resolve("vqgan/model/metrics.csv"), "loss"))
                .line("reconstruction (L2)", LossPlot.read(work.resolve("vqgan/model/metrics.csv"), "reconstruction"))
                .write(images.resolve("vqgan-loss.png"));
        if (r.study != null) Study.charts(r.study, images);
        ReportDoc doc = build();
        Files.writeString(out.resolve("report.md"), doc.markdown(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("report.html"), doc.html("liquid demo report", out), StandardCharsets.UTF_8);
    }

    private ReportDoc build() {
        DemoSettings s = r.settings;
        Map<String, Object> ev = r.eval;
        double total = r.totalSeconds();
        ReportDoc d = new ReportDoc();
        d.h1("liquid demo: the Liquid recipe on ShapesWorld");
        d.p(String.format(Locale.ROOT, "Run of %s on %s: settings `%s`, seed %d, device `%s`, %d CPU threads, JDK %s. Stage wall time %.0f s in total (%s).",
                ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")), System.getProperty("os.arch"), s.name(), r.seed, r.device,
                Runtime.getRuntime().availableProcessors(), Runtime.version(), total, "a stage reused from an earlier run counts with the time it took then"
                        + (r.overlap.isEmpty() ? "" : "; stages that ran side by side count the time they overlapped once")));
        d.p("One decoder-only model, trained with next-token prediction (plus z-loss), learns to write text, draw images from captions "
                + "and caption images. Every number below about images and captions is decided by an exact scorer that reads the pixels "
                + "(colour, shape, position, count), never by eye.");

        d.h2("Results");
        d.p(String.format(Locale.ROOT, "**Scorer validation**: right on %s of %d ground-truth renders (required: at least 99%%).",
                pct(num(r.scorer, "validation_rate")), (long) num(r.scorer, "renders")));
        d.p(String.format(Locale.ROOT, "**Text-to-image** (%d images, CFG %.1f, temperature %.1f, sampled from %s codes): share of generated images the scorer judges right. "
                        + "Held-out rows are colour×shape pairs that never appear together in training. Targets for single-shape prompts: colour ≥ 90%%, shape ≥ 70%%.",
                (long) num(ev, "generation.images"), s.cfg(), s.temperature(), s.topK() > 0 ? "the top " + s.topK() : "all " + s.vqCodes()));
        d.table(List.of("prompts", "images", "colour", "shape", "position", "count", "all right"), List.of(
                row("one shape, seen pairs", ev, "generation.single_seen"),
                row("one shape, held-out pairs", ev, "generation.single_heldout"),
                row("two shapes", ev, "generation.two_shapes")));
        d.p("**Captioning** (greedy captions of fresh renders, parsed back into attributes): share of captions that state the attribute right.");
        d.table(List.of("images", "n", "colour", "shape", "position", "count", "all right"), List.of(
                row("one shape, seen pairs", ev, "captions.single_seen"),
                row("one shape, held-out pairs", ev, "captions.single_heldout"),
                row("two shapes", ev, "captions.two_shapes")));
        d.p("**Targets** (single-shape prompts and renders of seen pairs): " + String.join("; ", targets(ev)) + ".");
        double before = num(ev, "perplexity_before"), after = num(ev, "perplexity_after");
        d.p(String.format(Locale.ROOT, "**Text perplexity** on %d held-out documents: %.3f after text pretraining, %.3f after the multimodal stage (%+.1f%%). "
                        + "The paper's finding 2: mixing image data into a language model costs its text ability less the larger the model is; "
                        + "this run shows the cost (or gain) at one tiny size.",
                (long) num(r.data, "heldout_docs"), before, after, 100 * (after / before - 1)));
        d.p(String.format(Locale.ROOT, "**VQGAN** (%d codes, %dx%d codes per image): held-out reconstruction PSNR %.2f dB in training, %.2f dB on the evaluation scenes; "
                        + "the scorer judges %s of reconstructions right, the ceiling for generated images.",
                s.vqCodes(), s.grid(), s.grid(), num(r.vqgan, "psnr_db"), num(ev, "reconstruction.psnr_db"), pct(num(ev, "reconstruction.scorer.all"))));

        d.h2("Wall time per stage");
        List<List<String>> times = new ArrayList<>();
        r.seconds.forEach((k, v) -> times.add(List.of(k, String.format(Locale.ROOT, "%.1f s", v)
                + (r.overlap.containsKey(k) ? " (side by side with the stage above, one thread each until one finished)" : ""))));
        r.overlap.forEach((k, v) -> times.add(List.of("time " + k + " ran side by side (counted once)", String.format(Locale.ROOT, "−%.1f s", v))));
        times.add(List.of("**total**", String.format(Locale.ROOT, "**%.1f s**", total)));
        d.table(List.of("stage", "wall time"), times);

        d.h2("Pictures");
        d.p("Generated images (✓ = the scorer judges colour, shape, position and count right), one per prompt:");
        d.image("images/generated.png", "generated images");
        d.p("Generated images for held-out colour×shape pairs:");
        d.image("images/generated-heldout.png", "held-out prompts");
        d.p("Captions the model wrote for fresh renders:");
        d.image("images/captions.png", "captions");
        d.p("VQGAN reconstructions (original, reconstruction):");
        d.image("images/reconstructions.png", "reconstructions");
        d.image("images/lm-loss.png", "LM loss");
        d.image("images/vqgan-loss.png", "VQGAN loss");
        if (r.study != null) Study.section(d, r.study);

        d.h2("How it was made");
        d.bullets(List.of(
                String.format(Locale.ROOT, "ShapesWorld: %d rendered %dx%d images (%d with two shapes), one caption each in one of several phrasings; %d text documents about the same world.",
                        (long) num(r.data, "images"), s.imageSize(), s.imageSize(), (long) num(r.data, "two_shape_images"), (long) num(r.data, "text_docs")),
                String.format(Locale.ROOT, "`liquid train-tokenizer`: byte-level BPE, %d tokens.", (long) num(r.tokenizer, "vocab_size")),
                String.format(Locale.ROOT, "`liquid vq train`: VQGAN, %d codes of %d dims, 4x downsampling, %d steps of %d images, the learning rate decaying over the last %d (L2 + VQ losses, unit-length codes, dead codes restarted every %d steps).",
                        s.vqCodes(), DemoSettings.VQ_EMBED_DIM, s.vqSteps(), s.vqBatch(), s.vqDecaySteps(), DemoSettings.VQ_RESTART_EVERY),
                String.format(Locale.ROOT, "`liquid init` + `liquid train`: Llama, hidden %d, %d layers, %d heads; %d steps of %d packed rows of %d tokens on the text.",
                        s.lmHidden(), s.lmLayers(), s.lmHeads(), s.pretrainSteps(), s.batchSize(), s.seqLen()),
                String.format(Locale.ROOT, "`liquid convert-weights extend-vocab` (+%d image codes, <boi>/<eoi>/<unconditional>), `liquid prepare` (images to codes).", s.vqCodes()),
                String.format(Locale.ROOT, "`liquid train --z-loss 1e-4 --t2i-ratio %s --schedule constant --decay-steps %d`: %d steps on text + image–caption pairs (each pair drawn as text-to-image with probability %s, else captioning, as the released collator draws it; 10%% of text-to-image unconditional for CFG), the learning rate held at its peak and decayed linearly over the last %d steps.",
                        fmt(s.t2iRatio()), s.liquidDecaySteps(), s.liquidSteps(), fmt(s.t2iRatio()), s.liquidDecaySteps())));
        d.p("Rerun `./liquid demo` to reuse every finished stage (`--fresh` redoes them); the stages' outputs are in `work/`.");
        return d;
    }

    private static List<String> row(String name, Map<String, Object> ev, String path) {
        return List.of(name, String.format(Locale.ROOT, "%d", (long) num(ev, path + ".n")), pct(num(ev, path + ".colour")), pct(num(ev, path + ".kind")),
                pct(num(ev, path + ".position")), pct(num(ev, path + ".count")), "**" + pct(num(ev, path + ".all")) + "**");
    }

    /** The five quality targets, each with this run's share and whether it was met (markdown). */
    static List<String> targets(Map<String, Object> ev) {
        return List.of(
                target("drawn colour", num(ev, "generation.single_seen.colour"), 0.9),
                target("drawn shape", num(ev, "generation.single_seen.kind"), 0.7),
                target("caption colour", num(ev, "captions.single_seen.colour"), 0.9),
                target("caption shape", num(ev, "captions.single_seen.kind"), 0.9),
                target("caption position", num(ev, "captions.single_seen.position"), 0.9));
    }

    /** "name 91.9% (≥ 90%: met)", or missed; a share that was not measured says so. */
    static String target(String name, double share, double goal) {
        String verdict = Double.isNaN(share) ? "not measured" : share >= goal ? "met" : "**missed**";
        return String.format(Locale.ROOT, "%s %s (≥ %.0f%%: %s)", name, pct(share), 100 * goal, verdict);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    /** A setting as written on the command line (0.5, not 0.500000). */
    private static String fmt(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }
}
