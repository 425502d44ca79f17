package io.liquid4j.generate;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Arrays;

/**
 * A conversation with one KV cache for all its turns: each {@link #send} feeds only the new
 * tokens (the user's turn) and decodes the reply, so turn k costs its own tokens, not the whole
 * transcript again. The last sampled token of a reply (its stop token, or its last word when
 * cut at the limit) is fed at the start of the next turn, so the cache holds exactly the
 * transcript a from-scratch pass would see.
 */
public final class ChatSession implements AutoCloseable {
    private final CausalLM model;
    private final Sampler sampler;
    private final int[] stopIds;
    private final int sampledVocab;
    private final KVCache cache;
    private int pending = -1;

    /**
     * @param capacity     most tokens the whole conversation may hold (at most the model's context)
     * @param sampledVocab sample among ids [0, sampledVocab) only (a Liquid model's text ids)
     */
    public ChatSession(CausalLM model, SamplingParams sampling, int[] stopIds, int sampledVocab, int capacity) {
        this(model, sampling, stopIds, sampledVocab, capacity, DType.F32);
    }

    /** The same with the KV cache in cacheType: F32 (exact) or BF16 (half the cache memory and bandwidth). */
    public ChatSession(CausalLM model, SamplingParams sampling, int[] stopIds, int sampledVocab, int capacity, DType cacheType) {
        if (capacity <= 0) throw new IllegalArgumentException("a chat needs room for at least one token");
        this.model = model;
        this.sampler = new Sampler(sampling);
        this.stopIds = stopIds.clone();
        this.sampledVocab = sampledVocab;
        this.cache = new KVCache(model.config(), 1, capacity, cacheType, model.device());
    }

    /** Tokens the conversation holds so far. */
    public int length() { return cache.length() + (pending >= 0 ? 1 : 0); }

    public int capacity() { return cache.capacity(); }

    /** Feeds the turn's tokens and returns the reply (without its stop token), at most maxNewTokens long. */
    public int[] send(int[] turn, int maxNewTokens, TokenListener listener) {
        int[] input = turn;
        if (pending >= 0) {
            input = new int[turn.length + 1];
            input[0] = pending;
            System.arraycopy(turn, 0, input, 1, turn.length);
        }
        if (input.length == 0) throw new IllegalArgumentException("an empty turn");
        if (cache.length() + input.length >= cache.capacity()) {
            throw new IllegalStateException("the conversation is full: " + cache.length() + " + " + input.length + " tokens leave no room in the "
                    + cache.capacity() + "-token context (start a new one)");
        }
        pending = -1;
        int room = cache.capacity() - cache.length() - input.length;
        int limit = Math.min(maxNewTokens, room);
        int[] reply = new int[limit];
        int n = 0;
        try (var _ = GradMode.noGrad()) {
            int next = forward(input);
            while (true) {
                listener.onToken(0, next);
                if (isStop(next)) {
                    pending = next;
                    break;
                }
                reply[n++] = next;
                if (n >= limit) break;
                next = forward(new int[] {next});
            }
        }
        // a reply cut at the limit: its last token was sampled but not yet fed
        if (pending < 0 && n > 0) pending = reply[n - 1];
        return Arrays.copyOf(reply, n);
    }

    private int forward(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        try (var _ = TensorScope.open()) {
            Tensor logits = model.forwardLast(Tensor.fromArray(l, 1, ids.length).to(model.device()), null, cache);
            return sampler.sample(logits.toFloatArray(), 0, sampledVocab);
        }
    }

    private boolean isStop(int id) {
        for (int s : stopIds) if (s == id) return true;
        return false;
    }

    @Override public void close() { cache.close(); }
}
