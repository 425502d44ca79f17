package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.Generator;

/** The codebook table "embedding.weight" [n_embed, embed_dim], initialised uniform in ±1/n_embed as taming does. */
final class CodebookEmbedding extends Module {
    final Parameter weight;

    CodebookEmbedding(int nEmbed, int embedDim, Generator gen) {
        weight = param("weight", Init.uniform(gen, 1.0 / nEmbed, nEmbed, embedDim));
    }
}
