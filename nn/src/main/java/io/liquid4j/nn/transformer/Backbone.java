package io.liquid4j.nn.transformer;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.ModuleList;
import io.liquid4j.nn.layers.Embedding;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.layers.RMSNorm;

/** HF's inner `model`: embed_tokens, layers.N, norm (the decoder without its output head). */
public final class Backbone extends Module {
    final Embedding embedTokens;
    final ModuleList<DecoderLayer> layers;
    final RMSNorm norm;

    Backbone(ModelConfig c, Init init) {
        // HF's initializer_range 0.02; Gemma multiplies by sqrt(hidden) after the lookup, so it starts at hidden^-0.5
        double std = c.family().isGemma() ? Math.pow(c.hiddenSize(), -0.5) : 0.02;
        embedTokens = child("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), std, init));
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < c.numLayers(); i++) layers.add(DecoderLayer.of(c, init));
        norm = child("norm", new RMSNorm(c.hiddenSize(), c.rmsNormEps(), c.family().isGemma(), init));
    }

    public Embedding embedTokens() { return embedTokens; }

    public DecoderLayer layer(int i) { return layers.get(i); }
}
