package io.liquid4j.nn.transformer;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;

/**
 * Preallocated keys and values of every layer, [B, kv_heads, capacity, head_dim] each. A forward
 * pass writes its new tokens in place at [length, length + L) through narrow views and attends
 * over [0, length + L): nothing is re-allocated or re-copied per decode step. The slot index is
 * the same for every row of the batch; padding is expressed by the attention mask, not here.
 */
public final class KVCache implements AutoCloseable {
    private final Tensor[] keys, values;
    private final int batch, capacity;
    private int length;

    /**
     * dtype F32 keeps decoding exact; BF16 halves the cache's memory and bandwidth (exact too for a
     * BF16 model, whose keys and values are bf16 already: {@link CausalLM#cacheDType()}; an F16
     * cache is likewise exact for an F16 model).
     */
    public KVCache(ModelConfig config, int batch, int capacity, DType dtype, Device device) {
        if (batch <= 0 || capacity <= 0) throw new IllegalArgumentException("KV cache needs batch > 0 and capacity > 0, got " + batch + ", " + capacity);
        this.batch = batch;
        this.capacity = capacity;
        keys = new Tensor[config.numLayers()];
        values = new Tensor[config.numLayers()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = Tensor.zeros(dtype, device, batch, config.numKvHeads(), capacity, config.headDim()).unscoped();
            values[i] = Tensor.zeros(dtype, device, batch, config.numKvHeads(), capacity, config.headDim()).unscoped();
        }
    }

    public Tensor keys(int layer) { return keys[layer]; }

    public Tensor values(int layer) { return values[layer]; }

    /** Tokens (slots) already filled. */
    public int length() { return length; }

    public int capacity() { return capacity; }

    public int batch() { return batch; }

    /** Marks n more slots filled (the model calls this after all layers wrote them). */
    void advance(int n) {
        if (length + n > capacity) throw new IllegalStateException("KV cache overflow: " + (length + n) + " > capacity " + capacity);
        length += n;
    }

    /** Forgets the slots from n on (n ≤ length): the next tokens are written at slot n (benchmarks, retries). */
    public void truncate(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("cannot truncate a KV cache of " + length + " slots to " + n);
        length = n;
    }

    /** Forgets the contents (the memory is reused by the next sequence). */
    public void reset() { length = 0; }

    @Override public void close() {
        for (Tensor t : keys) t.close();
        for (Tensor t : values) t.close();
    }
}
