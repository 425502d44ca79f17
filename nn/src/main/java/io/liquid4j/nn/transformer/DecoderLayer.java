package io.liquid4j.nn.transformer;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.layers.Attention;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.layers.MLP;
import io.liquid4j.nn.layers.RMSNorm;
import io.liquid4j.nn.layers.RotaryEmbedding;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Tensor;

/**
 * One transformer block: self_attn + mlp with their norms, under HF's names. Two arrangements
 * exist: {@link PreNormDecoderLayer} (Llama, Qwen2, Gemma 1) and {@link SandwichDecoderLayer}
 * (Gemma 2). The family's config picks norm formula, biases, activation and attention options.
 */
public abstract sealed class DecoderLayer extends Module permits PreNormDecoderLayer, SandwichDecoderLayer {
    protected final RMSNorm inputLayernorm;
    protected final Attention selfAttn;
    protected final RMSNorm postAttentionLayernorm;
    protected final MLP mlp;

    protected DecoderLayer(ModelConfig c, Init init) {
        boolean gemma = c.family().isGemma();
        inputLayernorm = child("input_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps(), gemma, init));
        selfAttn = child("self_attn", new Attention(c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.qkvBias(), c.outBias(), c.attentionScaling(), c.attnSoftcap(), init));
        postAttentionLayernorm = child("post_attention_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps(), gemma, init));
        mlp = child("mlp", new MLP(c.hiddenSize(), c.intermediateSize(), c.activation(), c.mlpBias(), init));
    }

    /** The block's self-attention (self_attn). */
    public Attention selfAttention() { return selfAttn; }

    /** The right block for the config's family. */
    static DecoderLayer of(ModelConfig c, Init init) {
        return c.family() == Family.GEMMA2 ? new SandwichDecoderLayer(c, init) : new PreNormDecoderLayer(c, init);
    }

    /**
     * h [B, L, hidden] → [B, L, hidden]. spec, cacheK/cacheV and past as in
     * {@link Attention#forward}.
     */
    public final Tensor forward(Tensor h, RotaryEmbedding.Table rope, AttentionSpec spec, Tensor cacheK, Tensor cacheV, int past) {
        return feedForward(attend(h, rope, spec, cacheK, cacheV, past));
    }

    /**
     * The block's output at some positions only: h [B, L, hidden] → [M, hidden], the rows at the
     * flattened positions rows [M]. Attention runs over every position (the kept rows read the
     * others' keys and values); the MLP half, which works row by row, runs on the M rows alone.
     * The last block of a training loss that reads only the counted positions
     * ({@link CausalLM#countedLoss}) skips the MLP of the rest this way.
     */
    public final Tensor forwardRows(Tensor h, Tensor rows, RotaryEmbedding.Table rope, AttentionSpec spec) {
        Tensor a = attend(h, rope, spec, null, null, 0);
        return feedForward(a.reshape(-1, a.size(a.dim() - 1)).indexSelect(0, rows));
    }

    /** h plus the attention branch, [B, L, hidden]. */
    protected abstract Tensor attend(Tensor h, RotaryEmbedding.Table rope, AttentionSpec spec, Tensor cacheK, Tensor cacheV, int past);

    /** h plus the MLP branch, row by row ([..., hidden]). */
    protected abstract Tensor feedForward(Tensor h);
}
