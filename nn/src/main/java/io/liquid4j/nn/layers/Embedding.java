package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;

/** A lookup table [vocab, dim]: ids of any shape → [..., dim]. Its weight may be tied to an output head. */
public final class Embedding extends Module {
    private final Parameter weight;

    public Embedding(int vocab, int dim, double std, Init init) {
        weight = param("weight", init.normal(std, vocab, dim));
    }

    /** Rows of the table in its stored dtype (a BF16 table gives BF16 rows). */
    public Tensor forward(Tensor ids) {
        return F.embedding(ids, weight.value());
    }

    public Parameter weight() { return weight; }

    public int vocabSize() { return weight.shape()[0]; }
}
