package io.liquid4j.nn.transformer;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.layers.RMSNorm;
import io.liquid4j.nn.layers.RotaryEmbedding;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Tensor;

/**
 * Gemma 2 block with sandwich norms. Trap (spec/models.md): here post_attention_layernorm
 * normalises the attention OUTPUT before the residual add, not the input of the MLP.
 */
public final class SandwichDecoderLayer extends DecoderLayer {
    private final RMSNorm preFeedforwardLayernorm, postFeedforwardLayernorm;

    SandwichDecoderLayer(ModelConfig c, Init init) {
        super(c, init);
        preFeedforwardLayernorm = child("pre_feedforward_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps(), true, init));
        postFeedforwardLayernorm = child("post_feedforward_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps(), true, init));
    }

    @Override protected Tensor attend(Tensor h, RotaryEmbedding.Table rope, AttentionSpec spec, Tensor cacheK, Tensor cacheV, int past) {
        Tensor attn = selfAttn.forward(inputLayernorm.forward(h), rope, spec, cacheK, cacheV, past);
        return h.add(postAttentionLayernorm.forward(attn));
    }

    @Override protected Tensor feedForward(Tensor h) {
        Tensor ff = mlp.forward(preFeedforwardLayernorm.forward(h));
        return h.add(postFeedforwardLayernorm.forward(ff));
    }
}
