package io.liquid4j.generate;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Liquid's text-to-image loop (spec/liquid.md, "Text-to-image generation"): N conditional
 * prompts and N copies of the unconditional prompt run as one left-padded batch of 2N rows
 * through a KV cache; each step mixes row i with row N + i by {@link CfgSampler}, and the one
 * sampled code is fed to both rows. Exactly {@code steps} codes per image (no {@code <eoi>} is
 * generated). Only the image codes' rows of the LM head are computed per step unless asked
 * otherwise: the text rows would be −∞ after the mask anyway.
 */
public final class ImageGenerator {
    private final CausalLM model;
    private final int textVocabSize, imageCodes;
    private final boolean imageRowsOnly;
    private final DType cacheDType;

    /**
     * @param imageRowsOnly compute only the image codes' rows of the LM head (false: the full head,
     *                      then the image slice; same samples, for checking)
     */
    public ImageGenerator(CausalLM model, int textVocabSize, int imageCodes, boolean imageRowsOnly, DType cacheDType) {
        if (textVocabSize + imageCodes > model.config().vocabSize()) {
            throw new IllegalArgumentException("image codes [" + textVocabSize + ", " + (textVocabSize + imageCodes) + ") exceed the model's vocabulary of "
                    + model.config().vocabSize());
        }
        this.model = model;
        this.textVocabSize = textVocabSize;
        this.imageCodes = imageCodes;
        this.imageRowsOnly = imageRowsOnly;
        this.cacheDType = cacheDType;
    }

    /**
     * Codes [N][steps] for N conditional prompts, each guided against the unconditional prompt.
     * onStep receives the number of finished steps (for progress bars).
     */
    public int[][] generate(List<int[]> prompts, int[] unconditional, int steps, double cfg, SamplingParams sampling, int padId, IntConsumer onStep) {
        return run(prompts, unconditional, steps, null, cfg, sampling, padId, onStep);
    }

    /**
     * Teacher forcing: the greedy code the model picks at each step when the history it is fed is
     * {@code forced[i]} (another model's or run's codes) instead of its own picks. Result [i][s] is
     * the CFG argmax after prompt i and forced[i][0, s) — the per-step decision of
     * {@link #generate} with top-k 1, which two models can be compared on without one early
     * difference changing every later step.
     */
    public int[][] followCodes(List<int[]> prompts, int[] unconditional, int[][] forced, double cfg, int padId, IntConsumer onStep) {
        if (forced.length != prompts.size()) throw new IllegalArgumentException(forced.length + " code sequences for " + prompts.size() + " prompts");
        int steps = forced.length == 0 ? 0 : forced[0].length;
        for (int[] f : forced) {
            if (f.length != steps) throw new IllegalArgumentException("forced code sequences of different lengths: " + steps + " and " + f.length);
            for (int code : f) {
                if (code < 0 || code >= imageCodes) throw new IllegalArgumentException("forced code " + code + " outside [0, " + imageCodes + ")");
            }
        }
        return run(prompts, unconditional, steps, forced, cfg, SamplingParams.GREEDY, padId, onStep);
    }

    private int[][] run(List<int[]> prompts, int[] unconditional, int steps, int[][] forced, double cfg, SamplingParams sampling, int padId, IntConsumer onStep) {
        int n = prompts.size();
        if (n == 0) throw new IllegalArgumentException("no prompts to generate images from");
        if (steps <= 0) throw new IllegalArgumentException("an image needs at least one code step, got " + steps);
        int rows = 2 * n, longest = unconditional.length;
        for (int[] p : prompts) longest = Math.max(longest, p.length);
        int capacity = longest + steps;
        if (capacity > model.config().maxPositions() && model.config().maxPositions() > 0) {
            throw new IllegalArgumentException("prompt (" + longest + " tokens) + " + steps + " image codes exceed the model's context of "
                    + model.config().maxPositions() + " positions");
        }
        int[][] mask = new int[rows][capacity];
        long[] ids = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            int[] p = r < n ? prompts.get(r) : unconditional;
            int pad = longest - p.length;
            for (int t = 0; t < longest; t++) ids[r * longest + t] = t < pad ? padId : p[t - pad];
            Arrays.fill(mask[r], pad, capacity, 1);
        }
        CfgSampler sampler = new CfgSampler(cfg, sampling);
        int[][] codes = new int[n][steps];
        try (var _ = GradMode.noGrad(); KVCache cache = new KVCache(model.config(), rows, capacity, cacheDType, model.device())) {
            Tensor input = Tensor.fromArray(ids, rows, longest).to(model.device());
            for (int step = 0; step < steps; step++) {
                float[] logits;
                try (var _ = TensorScope.open()) {
                    Tensor h = model.hiddenStates(input, TextGenerator.prefix(mask, cache.length() + input.size(1)), cache);
                    logits = imageLogits(h.narrow(1, h.size(1) - 1, 1).squeeze(1)).toFloatArray();
                }
                long[] next = new long[rows];
                for (int i = 0; i < n; i++) {
                    int code = sampler.sample(logits, i * imageCodes, logits, (n + i) * imageCodes, imageCodes);
                    codes[i][step] = code;
                    next[i] = next[n + i] = textVocabSize + (forced == null ? code : forced[i][step]);
                }
                input.close();
                input = Tensor.fromArray(next, rows, 1).to(model.device());
                onStep.accept(step + 1);
            }
            input.close();
        }
        return codes;
    }

    /** [rows, imageCodes] logits of the image codes for hidden states [rows, hidden]. */
    private Tensor imageLogits(Tensor hidden) {
        if (imageRowsOnly) return model.logits(hidden, textVocabSize, imageCodes);
        return model.logits(hidden).narrow(1, textVocabSize, imageCodes).contiguous();
    }
}
