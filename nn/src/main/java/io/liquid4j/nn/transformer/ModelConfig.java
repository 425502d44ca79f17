package io.liquid4j.nn.transformer;

import io.liquid4j.nn.layers.Activation;
import io.liquid4j.nn.layers.RopeScaling;
import java.util.Arrays;

/**
 * Architecture of a decoder-only model, as read from an HF config.json by {@link ConfigParser}
 * (both the transformers v4 and v5 key styles). Numbers that HF derives (head_dim, scaling,
 * which layers slide) are resolved here once, so layers never consult the raw config.
 *
 * @param attentionScaling   multiplier of q·kᵀ (head_dim^-0.5; Gemma 2: query_pre_attn_scalar^-0.5)
 * @param attnSoftcap        Gemma 2 attention logit softcap (0 = none)
 * @param finalSoftcap       Gemma 2 final logit softcap (0 = none)
 * @param slidingWindow      keys visible from query i are those with i − W &lt; j ≤ i on sliding layers
 * @param slidingLayers      per layer: whether it uses the sliding window
 * @param qkvBias            q/k/v projections have a bias (Qwen2, Llama attention_bias)
 * @param outBias            o_proj has a bias (Llama attention_bias)
 * @param bosTokenId         -1 when the config names none
 * @param eosTokenIds        possibly empty
 * @param padTokenId         -1 when the config names none
 */
public record ModelConfig(
        Family family,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositions,
        boolean tieWordEmbeddings,
        Activation activation,
        boolean qkvBias,
        boolean outBias,
        boolean mlpBias,
        double attentionScaling,
        double attnSoftcap,
        double finalSoftcap,
        int slidingWindow,
        boolean[] slidingLayers,
        int bosTokenId,
        int[] eosTokenIds,
        int padTokenId) {

    public ModelConfig {
        if (slidingLayers.length != numLayers) {
            throw new IllegalArgumentException("slidingLayers has " + slidingLayers.length + " entries for " + numLayers + " layers");
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        slidingLayers = slidingLayers.clone();
        eosTokenIds = eosTokenIds.clone();
    }

    @Override public boolean[] slidingLayers() { return slidingLayers.clone(); }

    @Override public int[] eosTokenIds() { return eosTokenIds.clone(); }

    public boolean isSliding(int layer) { return slidingLayers[layer]; }

    /** Sliding window of a layer, or 0 when the layer attends to every earlier key. */
    public int windowOf(int layer) { return slidingLayers[layer] ? slidingWindow : 0; }

    @Override public String toString() {
        return family.modelType() + "(vocab " + vocabSize + ", hidden " + hiddenSize + ", intermediate " + intermediateSize
                + ", layers " + numLayers + ", heads " + numHeads + "/" + numKvHeads + ", head_dim " + headDim
                + ", tied " + tieWordEmbeddings + ", eos " + Arrays.toString(eosTokenIds) + ")";
    }
}
