package io.liquid4j.nn.transformer;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.layers.Linear;
import io.liquid4j.nn.layers.RotaryEmbedding;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Path;

/**
 * A decoder-only language model of one of the supported {@link Family families}: `model`
 * ({@link Backbone}) plus `lm_head` (tied to model.embed_tokens when the config says so), with
 * HF parameter names so checkpoints map by name. Activations are F32; weights keep whatever
 * dtype they were loaded in (BF16 weights are decoded inside the GEMMs). Every op is
 * differentiable, so the same model trains.
 */
public final class CausalLM extends Module {
    private final ModelConfig config;
    private final Backbone model;
    private final Linear lmHead;
    private final RotaryEmbedding rope;
    private final double embedScale;

    /** A model with weights from init (use {@link Init#placeholders()} when a checkpoint follows). */
    public CausalLM(ModelConfig config, Init init) {
        this.config = config;
        model = child("model", new Backbone(config, init));
        lmHead = child("lm_head", config.tieWordEmbeddings()
                ? new Linear(model.embedTokens.weight())
                : new Linear(config.hiddenSize(), config.vocabSize(), false, Math.pow(config.hiddenSize(), -0.5), init));
        rope = new RotaryEmbedding(config.headDim(), config.ropeTheta(), config.ropeScaling());
        // Gemma: sqrt(hidden) rounded to the activation dtype (F32 here) before it multiplies
        embedScale = config.family().isGemma() ? (float) Math.sqrt(config.hiddenSize()) : 1.0;
    }

    /**
     * Loads dir/config.json and the safetensors weights in dir (one file or a sharded index).
     * dtype null keeps each tensor's stored dtype (a BF16 checkpoint stays BF16 in memory);
     * otherwise weights are converted. On the CPU the weights are copied out of the file
     * mapping unless {@code liquid4j.mmapWeights=true} (see Module.load). Missing,
     * unexpected or mis-shaped tensors fail with one message listing them.
     */
    public static CausalLM fromPretrained(Path dir, DType dtype, Device device) {
        return fromPretrained(dir, dtype, device, true);
    }

    /** {@link #fromPretrained(Path, DType, Device)}; checkWeights false skips the non-finite / dtype check of Module.load. */
    public static CausalLM fromPretrained(Path dir, DType dtype, Device device, boolean checkWeights) {
        ModelConfig config = ConfigParser.load(dir);
        CausalLM m = new CausalLM(config, Init.placeholders());
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            java.util.Set<String> consumed = QuantizedLinears.attach(m, dir, ckpt, device);
            m.load(ckpt, dtype, device, true, checkWeights, consumed);
        }
        return m;
    }

    public ModelConfig config() { return config; }

    public Backbone backbone() { return model; }

    public Device device() { return model.embedTokens.weight().value().device(); }

    /** Logits [B, L, vocab] of a causal forward pass over ids [B, L] with no padding and no cache. */
    public Tensor forward(Tensor ids) { return forward(ids, null, null); }

    /**
     * Logits [B, L, vocab] for L new tokens ids [B, L].
     *
     * @param mask  host key mask [B][cached + L] (1 = token, 0 = padding), or null for no padding;
     *              positions are cumsum(mask) − 1 as in HF
     * @param cache the KV cache to read and extend, or null
     */
    public Tensor forward(Tensor ids, int[][] mask, KVCache cache) {
        return logits(hiddenStates(ids, mask, cache));
    }

    /** Logits [B, vocab] of the last new position only (what sampling needs: skips L−1 head GEMMs). */
    public Tensor forwardLast(Tensor ids, int[][] mask, KVCache cache) {
        Tensor h = hiddenStates(ids, mask, cache);
        return logits(h.narrow(1, h.size(1) - 1, 1)).squeeze(1);
    }

    /** The final-normed hidden states [B, L, hidden]; see {@link #forward(Tensor, int[][], KVCache)}. */
    public Tensor hiddenStates(Tensor ids, int[][] mask, KVCache cache) {
        return hiddenStates(ids, mask, null, cache);
    }

    /**
     * The final-normed hidden states [B, L, hidden] of L new tokens ids [B, L].
     *
     * @param mask     host key mask [B][cached + L] (1 = token, 0 = padding), or null
     * @param segments host document ids [B][cached + L] (ids ≥ 0), or null: several documents
     *                 packed in one row, each attending only to itself, with RoPE positions
     *                 restarting at 0 per document. A packed row gives each document exactly
     *                 the result it has alone.
     * @param cache    the KV cache to read and extend, or null
     */
    public Tensor hiddenStates(Tensor ids, int[][] mask, int[][] segments, KVCache cache) {
        return hiddenStates(ids, mask, segments, cache, null);
    }

    /**
     * {@link #hiddenStates(Tensor, int[][], int[][], KVCache)}, or with lastRows [M] (flattened
     * positions of ids) the final hidden states of those positions only, [M, hidden]: the last
     * block's MLP half and the final norm then run on the M rows ({@link DecoderLayer#forwardRows}).
     */
    private Tensor hiddenStates(Tensor ids, int[][] mask, int[][] segments, KVCache cache, Tensor lastRows) {
        if (ids.dim() != 2) throw new IllegalArgumentException("ids must be [batch, length], got " + ids.describe());
        int b = ids.size(0), l = ids.size(1);
        int past = cache == null ? 0 : cache.length();
        if (cache != null && cache.batch() != b) throw new IllegalArgumentException("KV cache holds a batch of " + cache.batch() + ", ids a batch of " + b);
        TokenLayout layout = TokenLayout.of(mask, segments, b, past, l);
        Device dev = device();
        RotaryEmbedding.Table table = rope.table(layout.positions(), dev);
        AttentionSpec global = layout.spec(config.attentionScaling(), config.attnSoftcap(), 0);
        AttentionSpec sliding = config.slidingWindow() > 0 ? layout.spec(config.attentionScaling(), config.attnSoftcap(), config.slidingWindow()) : null;

        Tensor h = model.embedTokens.forward(ids);
        if (h.dtype() != DType.F32) h = h.to(DType.F32);
        if (embedScale != 1.0) h = h.mul(embedScale);
        // Without autograd nothing needs a layer's intermediates once it returns: each layer runs
        // in a scope of its own and the previous hidden state is freed, so a long prefill holds
        // one layer's working set instead of all of them.
        boolean inference = !GradMode.isEnabled();
        for (int i = 0; i < config.numLayers(); i++) {
            AttentionSpec spec = config.isSliding(i) ? sliding : global;
            Tensor cacheK = cache == null ? null : cache.keys(i), cacheV = cache == null ? null : cache.values(i);
            DecoderLayer layer = model.layers.get(i);
            if (lastRows != null && i == config.numLayers() - 1) {
                h = layer.forwardRows(h, lastRows, table, spec);
                continue;
            }
            if (!inference) {
                h = layer.forward(h, table, spec, cacheK, cacheV, past);
                continue;
            }
            Tensor next;
            try (var scope = TensorScope.open()) {
                next = scope.keep(layer.forward(h, table, spec, cacheK, cacheV, past));
            }
            h.close();
            h = next;
        }
        if (cache != null) cache.advance(l);
        return model.norm.forward(h);
    }

    /** lm_head (and Gemma 2's final softcap c·tanh(x/c)) over hidden states [..., hidden]. */
    public Tensor logits(Tensor hidden) {
        return softcap(lmHead.forward(hidden));
    }

    /**
     * The logits of vocabulary ids [from, from + count) only, [..., count]: the same values as
     * those columns of {@link #logits(Tensor)} for a fraction of the head's work (Liquid's image
     * steps need only the image codes' rows: 8192 of 264,192).
     */
    public Tensor logits(Tensor hidden, int from, int count) {
        int vocab = config.vocabSize();
        if (from < 0 || count <= 0 || from + count > vocab) {
            throw new IllegalArgumentException("logit rows [" + from + ", " + (from + count) + ") are not inside the vocabulary [0, " + vocab + ")");
        }
        if (lmHead.quantized() != null) return softcap(F.linear(hidden, lmHead.quantized().narrowRows(from, count), null));
        return softcap(F.linear(hidden, lmHead.weight().value().narrow(0, from, count), null));
    }

    private Tensor softcap(Tensor logits) {
        double cap = config.finalSoftcap();
        return cap > 0 ? logits.div(cap).tanh().mul(cap) : logits;
    }

    /** Mean next-token cross-entropy of ids [B, L] (position t predicts t + 1), a 0-d tensor. */
    public Tensor nextTokenLoss(Tensor ids) {
        int b = ids.size(0), l = ids.size(1);
        if (l < 2) throw new IllegalArgumentException("next-token loss needs at least 2 tokens per row, got " + l);
        Tensor targets = ids.narrow(1, 1, l - 1).reshape(b * (l - 1));
        return loss(ids.narrow(1, 0, l - 1), targets, null, null, -100, 0);
    }

    /**
     * Mean cross-entropy (+ z-loss λ·mean(lse²)) of the model's logits at every position of ids
     * [B, L] against targets [B·L] (already shifted: targets[t] is what position t predicts;
     * ignoreIndex rows do not count), through {@link F#linearCrossEntropy}: the lm_head, Gemma 2's
     * final softcap and the loss run chunked, so the [B·L, vocab] logits never exist whole.
     * mask and segments as in {@link #hiddenStates(Tensor, int[][], int[][], KVCache)}.
     */
    public Tensor loss(Tensor ids, Tensor targets, int[][] mask, int[][] segments, int ignoreIndex, double zLoss) {
        Tensor h = hiddenStates(ids, mask, segments, null);
        Tensor rows = h.reshape(h.size(0) * h.size(1), config.hiddenSize());
        if (lmHead.quantized() != null) return quantizedHeadLoss(rows, targets.reshape(-1), ignoreIndex, zLoss);
        return F.linearCrossEntropy(rows, lmHead.weight().value(), targets.reshape(-1), ignoreIndex, zLoss, config.finalSoftcap());
    }

    /**
     * The loss of {@link #loss} with the ignored positions left out before the lm_head: positions
     * [M] are the counted positions of ids [B, L] (indices into its B·L positions, row-major,
     * ascending, each once) and targets [M] what each predicts. The same mean (+ z-loss) as
     * {@code loss} over the full targets with every other position ignored, but the last block's
     * MLP half, the final norm, the lm_head, its gradient GEMMs and the softmax run on M rows
     * instead of B·L: in Liquid's packed mixes most positions predict nothing (a text-to-image
     * prompt, a caption's image codes, padding), 54% of them in the demo's multimodal stage.
     * Training passes the positions it already knows on the host, so no device read is needed to
     * find them.
     */
    public Tensor countedLoss(Tensor ids, Tensor positions, Tensor targets, int[][] mask, int[][] segments, double zLoss) {
        if (positions.dim() != 1 || targets.dim() != 1 || positions.size(0) != targets.size(0)) {
            throw new IllegalArgumentException("countedLoss needs positions [M] and targets [M], got " + positions.describe() + " and " + targets.describe());
        }
        Tensor rows = hiddenStates(ids, mask, segments, null, positions);
        if (lmHead.quantized() != null) return quantizedHeadLoss(rows, targets, IGNORE_NONE, zLoss);
        return F.linearCrossEntropy(rows, lmHead.weight().value(), targets, IGNORE_NONE, zLoss, config.finalSoftcap());
    }

    /** The ignore index of {@link #countedLoss}: its targets are all counted (PyTorch's -100, which no id equals). */
    private static final int IGNORE_NONE = -100;

    /**
     * The loss of {@link #loss} for a quantized lm_head (evaluation: the codes take no gradient):
     * logits of row chunks of at most 2^24 elements through {@link F#crossEntropy}, each chunk's
     * mean weighted by its counted rows, all as tensor ops (no host sync).
     */
    private Tensor quantizedHeadLoss(Tensor rows, Tensor targets, int ignoreIndex, double zLoss) {
        int n = rows.size(0), chunk = Math.max(1, (1 << 24) / config.vocabSize());
        Tensor sum = null, count = null;
        for (int r = 0; r < n; r += chunk) {
            int len = Math.min(chunk, n - r);
            Tensor t = targets.narrow(0, r, len);
            Tensor counted = t.ne(ignoreIndex).to(DType.F32).sum();
            Tensor part = F.crossEntropy(logits(rows.narrow(0, r, len)), t, ignoreIndex, zLoss).mul(counted);
            sum = sum == null ? part : sum.add(part);
            count = count == null ? counted : count.add(counted);
        }
        if (sum == null) return Tensor.scalar(0, DType.F32, rows.device());
        return sum.div(count.maximum(Tensor.scalar(1, DType.F32, rows.device())));
    }

    /** A KV cache for this model: batch rows, capacity slots, in {@link #cacheDType()}, on the model's device. */
    public KVCache newCache(int batch, int capacity) {
        return new KVCache(config, batch, capacity, cacheDType(), device());
    }

    /**
     * The KV cache dtype that loses nothing: BF16 where the attention runs in BF16 (BF16 weights:
     * the keys and values written to the cache are bf16 numbers already, so a BF16 cache holds
     * them exactly in half the bytes that each decode step reads) in every layer, else F32.
     */
    public DType cacheDType() {
        if (config.numLayers() == 0) return DType.F32;
        for (int i = 0; i < config.numLayers(); i++) {
            if (model.layer(i).selfAttention().computeDType() != DType.BF16) return DType.F32;
        }
        return DType.BF16;
    }
}
