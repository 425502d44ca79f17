package io.liquid4j.demo;

import io.liquid4j.demo.world.Colour;
import io.liquid4j.demo.world.Position;
import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.Shape;
import io.liquid4j.demo.world.ShapeKind;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Developer tool (not a test): how much the trained Liquid model's text-to-image likelihood
 * depends on the caption. For fresh one-shape renders it scores the image codes (teacher forced)
 * under the true prompt and under prompts with the kind, colour or position changed, and
 * unconditionally: a model that learned to condition gives the true prompt clearly the lowest loss.
 * Usage: ConditioningProbe WORK [scenes]
 */
public final class ConditioningProbe {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        Path liquidDir = work.resolve("liquid/run/final");
        LiquidLayout layout = LiquidLayout.load(liquidDir);
        Tokenizer tokenizer = Tokenizer.load(liquidDir);
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, layout);
        VQModel vq = VQModel.load(work.resolve("vqgan/model"));
        CausalLM lm = CausalLM.fromPretrained(liquidDir, DType.F32, Device.CPU);
        ShapesWorld world = new ShapesWorld(32);
        SplittableRandom rng = new SplittableRandom(77);
        String[] names = {"true", "kind", "colour", "position", "uncond"};
        double[] sum = new double[names.length];
        int wins = 0, scenes = 0;
        double[] plain = new double[2], textured = new double[2];
        double[] cellNll = new double[4], cellCount = new double[4];   // shape/background × plain/textured
        try (var _ = GradMode.noGrad()) {
            while (scenes < n) {
                Scene sc = world.sample(rng, false);
                if (sc.shapes().size() != 1) continue;
                int[] codes;
                try (var _ = TensorScope.open()) {
                    Tensor c = vq.encode(ImageTensors.toTensor(world.render(sc)));
                    long[] l = c.toLongArray();
                    codes = new int[l.length];
                    for (int i = 0; i < l.length; i++) codes[i] = (int) l[i];
                }
                Scene[] variants = {sc,
                        variant(sc, x -> new Shape(ShapeKind.values()[(x.kind().ordinal() + 1) % 4], x.colour(), x.size(), x.position())),
                        variant(sc, x -> new Shape(x.kind(), Colour.values()[(x.colour().ordinal() + 1) % 6], x.size(), x.position())),
                        variant(sc, x -> new Shape(x.kind(), x.colour(), x.size(), Position.values()[(x.position().ordinal() + 2) % 5]))};
                double[] nll = new double[names.length];
                for (int v = 0; v < names.length; v++) {
                    boolean uncond = v == 4;
                    TrainingSequence t = seq.textToImage(world.prompt(uncond ? sc : variants[v]), codes, 0, uncond);
                    nll[v] = codeLoss(lm, t, codes.length);
                    sum[v] += nll[v];
                }
                double[] perCode = codeLosses(lm, seq.textToImage(world.prompt(sc), codes, 0, false), codes.length);
                io.liquid4j.image.RgbImage render = world.render(sc);
                boolean[] shapeCell = VqCodeStats.shapeCells(render, (int) Math.round(Math.sqrt(codes.length)), VqCodeStats.borderMedian(render));
                for (int i = 0; i < perCode.length; i++) {
                    int k = (shapeCell[i] ? 0 : 2) + (sc.textured() ? 1 : 0);
                    cellNll[k] += perCode[i];
                    cellCount[k]++;
                }
                (sc.textured() ? textured : plain)[0] += nll[0];
                (sc.textured() ? textured : plain)[1]++;
                if (nll[0] < Math.min(Math.min(nll[1], nll[2]), nll[3])) wins++;
                scenes++;
            }
        }
        StringBuilder b = new StringBuilder("mean NLL per code over " + n + " one-shape renders:");
        for (int v = 0; v < names.length; v++) b.append(String.format(Locale.ROOT, "  %s %.4f", names[v], sum[v] / n));
        b.append(String.format(Locale.ROOT, "  (true prompt lowest in %d/%d)", wins, n));
        b.append(String.format(Locale.ROOT, "; true prompt: plain backgrounds %.4f (%d), textured %.4f (%d)", plain[0] / plain[1], (int) plain[1], textured[0] / textured[1], (int) textured[1]));
        b.append(String.format(Locale.ROOT, "%nper code, true prompt: shape cells plain %.4f (%d) textured %.4f (%d); background cells plain %.4f (%d) textured %.4f (%d)",
                cellNll[0] / cellCount[0], (int) cellCount[0], cellNll[1] / cellCount[1], (int) cellCount[1],
                cellNll[2] / cellCount[2], (int) cellCount[2], cellNll[3] / cellCount[3], (int) cellCount[3]));
        b.append(String.format(Locale.ROOT, "; share of all code NLL at shape cells %.1f%%",
                100 * (cellNll[0] + cellNll[1]) / (cellNll[0] + cellNll[1] + cellNll[2] + cellNll[3])));
        System.out.println(b);
    }

    /** Cross-entropy of each image code of a text-to-image sequence under the model. */
    private static double[] codeLosses(CausalLM lm, TrainingSequence t, int codes) {
        int len = t.length(), firstCode = len - 2 - codes;
        long[] ids = new long[len - 1];
        for (int i = 0; i < len - 1; i++) ids[i] = t.inputIds()[i];
        double[] out = new double[codes];
        try (var _ = TensorScope.open()) {
            float[] logits = lm.forward(Tensor.fromArray(ids, 1, len - 1)).contiguous().toFloatArray();
            int v = logits.length / (len - 1);
            for (int k = 0; k < codes; k++) {
                int pos = firstCode + k - 1, target = t.labels()[firstCode + k];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[pos * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(logits[pos * v + j] - max);
                out[k] = Math.log(sum) + max - logits[pos * v + target];
            }
        }
        return out;
    }

    private static Scene variant(Scene sc, UnaryOperator<Shape> change) {
        return Scene.of(change.apply(sc.shapes().getFirst()), sc.textured(), sc.detailSeed());
    }

    /** Mean cross-entropy of the image codes (not &lt;eoi&gt;/&lt;eos&gt;) of a text-to-image sequence. */
    private static double codeLoss(CausalLM lm, TrainingSequence t, int codes) {
        int len = t.length();
        long[] ids = new long[len - 1], targets = new long[len - 1];
        int[] labels = t.labels();
        int firstCode = len - 2 - codes;      // ... <boi> codes <eoi> <eos>
        for (int i = 0; i < len - 1; i++) {
            ids[i] = t.inputIds()[i];
            int target = i + 1;
            targets[i] = target >= firstCode && target < firstCode + codes ? labels[target] : TrainingSequence.IGNORE;
        }
        try (var _ = TensorScope.open()) {
            return lm.loss(Tensor.fromArray(ids, 1, len - 1), Tensor.fromArray(targets, len - 1), null, null, TrainingSequence.IGNORE, 0).item();
        }
    }
}
