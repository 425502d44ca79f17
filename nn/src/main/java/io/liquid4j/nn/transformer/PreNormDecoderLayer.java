package io.liquid4j.nn.transformer;

import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.layers.RotaryEmbedding;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Tensor;

/** Llama / Qwen2 / Gemma 1 block: h += Attn(input_layernorm(h)); h += MLP(post_attention_layernorm(h)). */
public final class PreNormDecoderLayer extends DecoderLayer {
    PreNormDecoderLayer(ModelConfig c, Init init) { super(c, init); }

    @Override protected Tensor attend(Tensor h, RotaryEmbedding.Table rope, AttentionSpec spec, Tensor cacheK, Tensor cacheV, int past) {
        return h.add(selfAttn.forward(inputLayernorm.forward(h), rope, spec, cacheK, cacheV, past));
    }

    @Override protected Tensor feedForward(Tensor h) {
        return h.add(mlp.forward(postAttentionLayernorm.forward(h)));
    }
}
