package io.liquid4j.api;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.data.BatchStream;
import io.liquid4j.liquid.data.TrainingData;
import io.liquid4j.liquid.train.LrSchedule;
import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.liquid.train.Trainer;
import io.liquid4j.nn.transformer.CausalLM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training steps on a {@link LiquidModel}'s own weights, in memory: each {@link #step} takes one
 * batch of examples (text, text-to-image, captioning), runs forward and backward over it and
 * applies one AdamW update ({@link io.liquid4j.liquid.train.Trainer}: loss weighted by counted
 * tokens, clipping, the schedule, a step with a non-finite gradient skipped). {@link #save}
 * writes a model directory that {@link LiquidModel#load} reads back.
 *
 * <pre>{@code
 * try (Training t = model.trainer(TrainingSettings.builder().learningRate(1e-3).totalSteps(10).build())) {
 *     for (int i = 0; i < 10; i++) System.out.println(t.step(List.of(TrainingExample.text("hello world"))).loss());
 *     t.save(Path.of("out/model"));
 * }
 * }</pre>
 *
 * For file-based runs with checkpoints, resume and metrics use {@code liquid train}.
 */
public final class Training implements AutoCloseable {
    private final LiquidModel model;
    private final TrainingSettings settings;
    private final Trainer trainer;
    private final SequenceBuilder sequences;
    private final SplittableRandom rng;

    Training(LiquidModel model, TrainingSettings settings) {
        this.model = model;
        this.settings = settings;
        LiquidLayout layout = model.layoutOrNull();
        this.sequences = layout == null ? SequenceBuilder.textOnly(model.tokenizer()) : SequenceBuilder.of(model.tokenizer(), layout);
        this.rng = new SplittableRandom(settings.seed());
        this.trainer = new Trainer(model.causalLM(), new Trainer.Options(settings.maxGradNorm(), settings.zLoss(), settings.weightDecay(),
                new LrSchedule(settings.learningRate(), settings.warmupSteps(), settings.totalSteps(), settings.cosine(), settings.decaySteps())));
    }

    /** The result of one step: loss (mean over counted tokens), learning rate, gradient norm, tokens; skipped steps say why. */
    public record Step(int step, double loss, double learningRate, double gradNorm, long tokens, boolean skipped, String why) {}

    /** Steps taken so far. */
    public int steps() { return trainer.steps(); }

    /** One optimizer step over {@code batch} (right-padded to its longest sequence). */
    public Step step(List<TrainingExample> batch) {
        if (batch.isEmpty()) throw new IllegalArgumentException("a training step needs at least one example");
        List<TrainingSequence> seqs = new ArrayList<>(batch.size());
        int longest = 0;
        for (TrainingExample e : batch) {
            TrainingSequence s = switch (e) {
                case TrainingExample.Text t -> sequences.text(t.text());
                case TrainingExample.TextToImage t -> sequences.textToImage(t.caption(), checked(t.codes()), rng.nextInt(SequenceBuilder.T2I_PHRASES.size()), false);
                case TrainingExample.Caption c -> sequences.caption(checked(c.codes()), c.caption());
            };
            seqs.add(s);
            longest = Math.max(longest, s.inputIds().length);
        }
        int context = model.config().maxPositions();
        if (context > 0 && longest > context) throw new IllegalArgumentException("an example of " + longest + " tokens exceeds the model's context of " + context);
        int pad = Math.max(model.tokenizer().tokenToId("<pad>"), Math.max(model.config().padTokenId(), 0));
        BatchStream stream = new BatchStream(TrainingData.of(seqs), seqs.size(), Math.max(longest, 2), false, false, settings.seed(), pad);
        Trainer.StepResult r = trainer.step(List.of(stream.next()));
        return new Step(r.step(), r.loss(), r.lr(), r.gradNorm(), r.tokens(), r.skipped(), r.why());
    }

    private int[] checked(int[] codes) {
        LiquidLayout l = model.layoutOrNull();
        if (l == null) throw new IllegalArgumentException(model.directory() + " is a text LM (no liquid.json): image examples need a Liquid model");
        if (codes.length != l.tokensPerImage()) throw new IllegalArgumentException("the image has " + codes.length + " codes but this model reads " + l.tokensPerImage());
        for (int c : codes) if (c < 0 || c >= l.imageCodes()) throw new IllegalArgumentException("image code " + c + " is outside [0, " + l.imageCodes() + ")");
        return codes;
    }

    /**
     * Writes the model as it is now to {@code dir} (replaced if it exists): weights, the source
     * directory's config and tokenizer files, liquid.json (pointing at the same VQGAN) and the
     * optimizer state.
     */
    public Path save(Path dir) {
        CausalLM lm = model.causalLM();
        Path abs = dir.toAbsolutePath();
        return new RunDirectory(abs.getParent()).save(abs, trainer.steps(), lm, model.directory(), model.layoutOrNull(), trainer.optimizer(), new long[0]);
    }

    /** Frees the optimizer state (the model keeps its trained weights). */
    @Override public void close() { trainer.close(); }
}
