package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;

/**
 * Multi-head self-attention with grouped KV heads (MHA when kv = heads, MQA when kv = 1), HF
 * names q_proj / k_proj / v_proj / o_proj. The attention itself is {@link F#attention}: query
 * head h reads KV head h / (heads / kv) in place; scores·scaling → optional softcap
 * c·tanh(s/c) → the spec's visible keys → softmax in f32 → ·V, then o_proj.
 */
public final class Attention extends Module {
    private final Linear qProj, kProj, vProj, oProj;
    private final int heads, kvHeads, headDim;
    private final double scaling, softcap;

    /**
     * @param scaling multiplier of q·kᵀ (head_dim^-0.5, or query_pre_attn_scalar^-0.5 for Gemma 2)
     * @param softcap attention logit softcap c (0 = none)
     */
    public Attention(int hidden, int heads, int kvHeads, int headDim, boolean qkvBias, boolean outBias,
                     double scaling, double softcap, Init init) {
        if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " attention heads are not a multiple of " + kvHeads + " KV heads");
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scaling = scaling;
        this.softcap = softcap;
        double std = Math.pow(hidden, -0.5);
        qProj = child("q_proj", new Linear(hidden, heads * headDim, qkvBias, std, init));
        kProj = child("k_proj", new Linear(hidden, kvHeads * headDim, qkvBias, std, init));
        vProj = child("v_proj", new Linear(hidden, kvHeads * headDim, qkvBias, std, init));
        oProj = child("o_proj", new Linear(heads * headDim, hidden, outBias, Math.pow(heads * headDim, -0.5), init));
    }

    /**
     * Attention of the L new tokens x [B, L, hidden] over the cached keys and themselves.
     *
     * @param rope   cos/sin tables for the new tokens' positions
     * @param spec   which key slots each new query sees (causal, padding, packed segments,
     *               window, its offset in the cache); its scale and softcap are this layer's
     * @param cacheK keys [B, kv, capacity, D] of this layer (null: no cache, Lk = L); the new
     *               keys are written in place at [past, past + L) and attention reads [0, past + L).
     *               The cache path is for inference: no gradient flows through it.
     * @param cacheV values, same layout
     * @param past   tokens already in the cache
     */
    public Tensor forward(Tensor x, RotaryEmbedding.Table rope, AttentionSpec spec, Tensor cacheK, Tensor cacheV, int past) {
        int b = x.size(0), l = x.size(1);
        Tensor[] qkv = Linear.forwardAll(x, qProj, kProj, vProj);
        Tensor q = qkv[0].reshape(b, l, heads, headDim).transpose(1, 2);
        Tensor k = qkv[1].reshape(b, l, kvHeads, headDim).transpose(1, 2);
        Tensor v = qkv[2].reshape(b, l, kvHeads, headDim).transpose(1, 2);
        DType weights = computeDType();
        if (weights == DType.BF16 || weights == DType.F16) {
            // 16-bit weights: attention in their dtype (as HF runs a BF16 model), which is what the
            // GPU's tensor-core attention kernels take; scores and softmax still accumulate in F32
            q = q.to(weights);
            k = k.to(weights);
            v = v.to(weights);
        }
        q = RotaryEmbedding.apply(q, rope);
        k = RotaryEmbedding.apply(k, rope);
        Tensor keys = k, values = v;
        if (cacheK != null) {
            if (past + l > cacheK.size(2)) {
                throw new IllegalStateException("KV cache full: " + past + " + " + l + " tokens exceed its capacity " + cacheK.size(2));
            }
            try (var _ = GradMode.noGrad()) {
                cacheK.narrow(2, past, l).copyFrom(k);
                cacheV.narrow(2, past, l).copyFrom(v);
            }
            keys = cacheK.narrow(2, 0, past + l);
            values = cacheV.narrow(2, 0, past + l);
        }
        if (spec.scale() != scaling || spec.softcap() != softcap) {
            spec = new AttentionSpec(scaling, softcap, spec.causal(), spec.window(), spec.queryOffset(), spec.keyStart(), spec.keyEnd(), spec.segments());
        }
        Tensor out = F.attention(q, keys, values, spec);                         // [B, heads, L, D]
        out = out.transpose(1, 2).reshape(b, l, heads * headDim);
        return oProj.forward(out);
    }

    /**
     * The dtype this layer's q, k and v are cast to before attention: its projections' weight dtype
     * where that is BF16 or F16 (as HF runs a 16-bit model), F32 for F32 and quantized weights. The
     * keys and values a KV cache receives are numbers of this dtype.
     */
    public DType computeDType() {
        DType w = qProj.quantized() != null ? DType.F32 : qProj.weight().value().dtype();
        return w == DType.BF16 || w == DType.F16 ? w : DType.F32;
    }

    public int heads() { return heads; }

    public int kvHeads() { return kvHeads; }

    public int headDim() { return headDim; }
}
