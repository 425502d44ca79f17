package io.liquid4j.demo;

import io.liquid4j.demo.world.Detection;
import io.liquid4j.demo.world.Position;
import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.Shape;
import io.liquid4j.demo.world.ShapeKind;
import io.liquid4j.demo.world.ShapeScorer;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.demo.world.Size;
import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Developer tool (not a test): what a trained demo model draws when a one-shape prompt's kind is
 * wrong. Generates one image for each of N fresh one-shape scenes of seen colour×kind pairs and
 * prints the scorer's kind confusion (prompted kind × detected kind, "none" when nothing or more
 * than one shape was found), then kind accuracy by prompted size and by position, and how often
 * the drawn size matches. Usage: ShapeConfusion WORK [N [CFG [TEMPERATURE]]]
 */
public final class ShapeConfusion {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 320;
        double cfg = args.length > 2 ? Double.parseDouble(args[2]) : 2.0, temperature = args.length > 3 ? Double.parseDouble(args[3]) : 0.5;
        Path liquidDir = work.resolve("liquid/run/final");
        LiquidLayout layout = LiquidLayout.load(liquidDir);
        SequenceBuilder seq = SequenceBuilder.of(Tokenizer.load(liquidDir), layout);
        VQModel vq = VQModel.load(work.resolve("vqgan/model"));
        CausalLM lm = CausalLM.fromPretrained(liquidDir, DType.F32, Device.CPU);
        ShapesWorld world = new ShapesWorld(32);
        ShapeScorer scorer = new ShapeScorer();
        ImageGenerator gen = new ImageGenerator(lm, layout.textVocabSize(), layout.imageCodes(), true, DType.F32);
        SplittableRandom rng = new SplittableRandom(1234);
        List<Scene> scenes = new ArrayList<>();
        while (scenes.size() < n) {
            Scene sc = world.sample(rng, false);
            if (sc.shapes().size() == 1) scenes.add(sc);
        }
        int kinds = ShapeKind.values().length;
        int[][] confusion = new int[kinds][kinds + 1];
        int[][] bySize = new int[Size.values().length][2], byPosition = new int[Position.values().length][2];
        int[] sizeRight = new int[2], colourRight = new int[2];
        for (int from = 0; from < n; from += 16) {
            List<Scene> part = scenes.subList(from, Math.min(n, from + 16));
            int[][] codes;
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                codes = gen.generate(part.stream().map(sc -> seq.imagePrompt(world.prompt(sc))).toList(), seq.unconditionalPrompt(),
                        layout.tokensPerImage(), cfg, new SamplingParams(temperature, 0, 1.0, from), 0, k -> { });
            }
            for (int i = 0; i < part.size(); i++) {
                Shape want = part.get(i).shapes().get(0);
                List<Detection> found = scorer.detect(decode(vq, codes[i], layout));
                Detection d = found.size() == 1 ? found.get(0) : null;
                confusion[want.kind().ordinal()][d == null ? kinds : d.kind().ordinal()]++;
                boolean kindOk = d != null && d.kind() == want.kind();
                tally(bySize[want.size().ordinal()], kindOk);
                tally(byPosition[want.position().ordinal()], kindOk);
                tally(sizeRight, d != null && d.size() == want.size());
                tally(colourRight, d != null && d.colour() == want.colour());
            }
            System.err.print("\r" + Math.min(n, from + 16) + "/" + n);
        }
        System.err.println();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d one-shape prompts, CFG %.1f, T %.2f%nprompted \\ drawn", n, cfg, temperature));
        for (ShapeKind k : ShapeKind.values()) b.append(String.format(Locale.ROOT, "%10s", k.word()));
        b.append(String.format(Locale.ROOT, "%10s%n", "none/2+"));
        for (ShapeKind k : ShapeKind.values()) {
            b.append(String.format(Locale.ROOT, "%-16s", k.word()));
            for (int c : confusion[k.ordinal()]) b.append(String.format(Locale.ROOT, "%10d", c));
            b.append('\n');
        }
        for (Size s : Size.values()) b.append(String.format(Locale.ROOT, "kind right, %s: %s%n", s.word(), pct(bySize[s.ordinal()])));
        for (Position p : Position.values()) b.append(String.format(Locale.ROOT, "kind right, %s: %s%n", p.word(), pct(byPosition[p.ordinal()])));
        b.append(String.format(Locale.ROOT, "size right: %s; colour right: %s%n", pct(sizeRight), pct(colourRight)));
        System.out.print(b);
    }

    private static void tally(int[] t, boolean ok) {
        if (ok) t[0]++;
        t[1]++;
    }

    private static String pct(int[] t) { return String.format(Locale.ROOT, "%.1f%% of %d", 100.0 * t[0] / Math.max(1, t[1]), t[1]); }

    private static RgbImage decode(VQModel vq, int[] codes, LiquidLayout layout) {
        long[] flat = new long[codes.length];
        for (int i = 0; i < codes.length; i++) flat[i] = codes[i];
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            return ImageTensors.fromTensor(vq.decode(Tensor.fromArray(flat, 1, layout.gridRows(), layout.gridCols())), 0);
        }
    }
}
