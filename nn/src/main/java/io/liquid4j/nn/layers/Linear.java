package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;

/**
 * y = x·Wᵀ + b with W stored [out, in] (PyTorch / HF layout). The weight is used in its stored
 * layout and dtype: a BF16 weight is decoded inside the GEMM, never copied to f32.
 */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private QuantizedWeight quantized;

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
        if (quantized != null) return F.linear(x, quantized, bias == null ? null : bias.value());
        return F.linear(x, weight.value(), bias == null ? null : bias.value());
    }

    /**
     * {@link #forward} of several layers over the same input (a layer's q/k/v or gate/up
     * projections) through {@link F#linears}: one product of the stacked weights while training
     * F32 weights, one backend call (one parallel job on the CPU) at inference, plain or quantized;
     * layers of which some are quantized and some not, one forward each.
     */
    public static Tensor[] forwardAll(Tensor x, Linear... layers) {
        Tensor[] out;
        int quantizedLayers = 0;
        for (Linear l : layers) if (l.quantized != null) quantizedLayers++;
        if (quantizedLayers == layers.length) {
            QuantizedWeight[] weights = new QuantizedWeight[layers.length];
            for (int i = 0; i < layers.length; i++) weights[i] = layers[i].quantized;
            out = F.linears(x, weights);
        } else if (quantizedLayers > 0) {
            out = new Tensor[layers.length];
            for (int i = 0; i < layers.length; i++) out[i] = layers[i].forward(x);
            return out;
        } else {
            Tensor[] weights = new Tensor[layers.length];
            for (int i = 0; i < layers.length; i++) weights[i] = layers[i].weight.value();
            out = F.linears(x, weights);
        }
        for (int i = 0; i < layers.length; i++) if (layers[i].bias != null) out[i] = out[i].add(layers[i].bias.value());
        return out;
    }

    /**
     * Replaces the weight by quantized codes (inference only: the layer's "weight" parameter is
     * unregistered, so it no longer loads, saves or trains; a bias stays). The codes must have
     * this layer's shape; they belong to the layer from now on.
     */
    public void quantize(QuantizedWeight q) {
        if (q.rows() != outFeatures() || q.cols() != inFeatures()) {
            throw new IllegalArgumentException("quantized weight [" + q.rows() + ", " + q.cols() + "] does not fit a Linear [" + outFeatures() + ", " + inFeatures() + "]");
        }
        if (quantized == null) unregister("weight");
        quantized = q;
    }

    /** The quantized weight, or null for a plain one. */
    public QuantizedWeight quantized() { return quantized; }

    @Override protected long weightsOutsideParameters() { return quantized == null ? 0 : (long) quantized.rows() * quantized.cols(); }

    public Parameter weight() { return weight; }

    public int inFeatures() { return quantized != null ? quantized.cols() : weight.shape()[1]; }

    public int outFeatures() { return quantized != null ? quantized.rows() : weight.shape()[0]; }
}
