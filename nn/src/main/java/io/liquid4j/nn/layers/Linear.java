package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;

/**
 * y = x·Wᵀ + b with W stored [out, in] (PyTorch / HF layout). The weight is used in its stored
 * layout and dtype: a BF16 weight is decoded inside the GEMM, never copied to f32.
 */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;

    /** A layer with weights ~ N(0, std²) and a zero bias (when bias is true). */
    public Linear(int in, int out, boolean bias, double std, Init init) {
        weight = param("weight", init.normal(std, out, in));
        this.bias = bias ? param("bias", init.constant(0, out)) : null;
    }

    /** A layer over an existing weight (e.g. an output head tied to the embedding table); no bias. */
    public Linear(Parameter sharedWeight) {
        weight = param("weight", sharedWeight);
        bias = null;
    }

    public Tensor forward(Tensor x) {
        return F.linear(x, weight.value(), bias == null ? null : bias.value());
    }

    public Parameter weight() { return weight; }

    public int inFeatures() { return weight.shape()[1]; }

    public int outFeatures() { return weight.shape()[0]; }
}
