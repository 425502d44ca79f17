package io.liquid4j.generate;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive text generation with a {@link CausalLM}: the prompts (left-padded to one
 * length) go through the model in one forward pass that fills a preallocated KV cache, then
 * one token per row per step is decoded against the cache. Only the last position's logits
 * are computed and copied to the host for sampling. Rows that hit a stop id keep being fed
 * (their outputs are ignored) until every row has finished or the token limit is reached.
 */
public final class TextGenerator {
    private final CausalLM model;
    private final DType cacheDType;
    private final int sampledVocab;

    public TextGenerator(CausalLM model) { this(model, DType.F32); }

    /** cacheDType F32 (exact), or BF16 (half the cache memory and bandwidth; exact for a BF16 model, see CausalLM.cacheDType). */
    public TextGenerator(CausalLM model, DType cacheDType) {
        this(model, cacheDType, model.config().vocabSize());
    }

    /**
     * Samples only among ids [0, sampledVocab): a Liquid model writing text (a caption, an
     * answer) never emits an image code, whose ids follow the text vocabulary.
     */
    public TextGenerator(CausalLM model, DType cacheDType, int sampledVocab) {
        if (sampledVocab <= 0 || sampledVocab > model.config().vocabSize()) {
            throw new IllegalArgumentException("sampled vocabulary " + sampledVocab + " is not in [1, " + model.config().vocabSize() + "]");
        }
        this.model = model;
        this.cacheDType = cacheDType;
        this.sampledVocab = sampledVocab;
    }

    public GenerationResult generate(List<int[]> prompts, GenerationConfig cfg, TokenListener listener) {
        int batch = prompts.size();
        if (batch == 0) throw new IllegalArgumentException("no prompts to generate from");
        int vocab = model.config().vocabSize();
        int longest = 0;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("empty prompt: give at least one token (e.g. BOS)");
            for (int id : p) {
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt token id " + id + " is outside the model's vocabulary [0, " + vocab + ")");
            }
            longest = Math.max(longest, p.length);
        }
        boolean padded = prompts.stream().anyMatch(p -> p.length != prompts.getFirst().length);
        int capacity = longest + Math.max(cfg.maxNewTokens(), 1);
        List<List<Integer>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) out.add(new ArrayList<>());
        boolean[] done = new boolean[batch];
        Sampler sampler = new Sampler(cfg.sampling());
        // host mask over every slot the cache will hold: 0 for left padding, 1 afterwards
        int[][] fullMask = padded ? new int[batch][capacity] : null;
        long[] ids = new long[batch * longest];
        for (int b = 0; b < batch; b++) {
            int[] p = prompts.get(b);
            int pad = longest - p.length;
            for (int t = 0; t < longest; t++) ids[b * longest + t] = t < pad ? cfg.padId() : p[t - pad];
            if (padded) Arrays.fill(fullMask[b], pad, capacity, 1);
        }
        long prefillNanos = 0, decodeNanos = 0;
        int steps = 0;
        try (var _ = GradMode.noGrad(); KVCache cache = new KVCache(model.config(), batch, capacity, cacheDType, model.device())) {
            long t0 = System.nanoTime();
            int[] next;
            try (var _ = TensorScope.open()) {
                Tensor logits = model.forwardLast(Tensor.fromArray(ids, batch, longest).to(model.device()), prefix(fullMask, longest), cache);
                next = pick(logits, sampler, batch, vocab, sampledVocab);
            }
            prefillNanos = System.nanoTime() - t0;
            t0 = System.nanoTime();
            for (int produced = 0; cfg.maxNewTokens() > 0; ) {
                boolean anyLeft = false;
                for (int b = 0; b < batch; b++) {
                    if (done[b]) continue;
                    listener.onToken(b, next[b]);
                    if (cfg.isStop(next[b])) done[b] = true;
                    else out.get(b).add(next[b]);
                    anyLeft |= !done[b];
                }
                produced++;
                if (!anyLeft || produced >= cfg.maxNewTokens()) break;
                long[] step = new long[batch];
                for (int b = 0; b < batch; b++) step[b] = next[b];
                try (var _ = TensorScope.open()) {
                    Tensor logits = model.forwardLast(Tensor.fromArray(step, batch, 1).to(model.device()), prefix(fullMask, cache.length() + 1), cache);
                    next = pick(logits, sampler, batch, vocab, sampledVocab);
                }
                steps++;
            }
            decodeNanos = System.nanoTime() - t0;
        }
        List<int[]> tokens = new ArrayList<>();
        for (List<Integer> row : out) tokens.add(row.stream().mapToInt(Integer::intValue).toArray());
        return new GenerationResult(tokens, done, batch * longest, prefillNanos, steps, decodeNanos);
    }

    /** Samples one id per row from logits [B, vocab], among the first sampled ids. */
    private static int[] pick(Tensor logits, Sampler sampler, int batch, int vocab, int sampled) {
        float[] host = logits.toFloatArray();
        int[] next = new int[batch];
        for (int b = 0; b < batch; b++) next[b] = sampler.sample(host, b * vocab, sampled);
        return next;
    }

    /** The first n columns of the mask (null stays null: no padding anywhere). */
    static int[][] prefix(int[][] mask, int n) {
        if (mask == null) return null;
        int[][] r = new int[mask.length][];
        for (int i = 0; i < mask.length; i++) r[i] = Arrays.copyOf(mask[i], n);
        return r;
    }
}
