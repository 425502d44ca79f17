package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/**
 * A square-kernel 2-D convolution with bias: weight [out, in, k, k], bias [out] (PyTorch
 * names), computed by {@link F#conv2d}.
 */
public final class Conv2d extends Module {
    private final Parameter weight, bias;
    private final int stride, padding;

    /** PyTorch's default init: weight and bias uniform in ±1/√(in·k·k). */
    public Conv2d(int inCh, int outCh, int kernel, int stride, int padding, Generator gen) {
        if (inCh <= 0 || outCh <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: bad sizes in " + inCh + " out " + outCh + " kernel " + kernel + " stride " + stride + " padding " + padding);
        }
        this.stride = stride;
        this.padding = padding;
        double bound = 1 / Math.sqrt((double) inCh * kernel * kernel);
        weight = param("weight", Init.uniform(gen, bound, outCh, inCh, kernel, kernel));
        bias = param("bias", Init.uniform(gen, bound, outCh));
    }

    public Tensor forward(Tensor x) {
        return Inference.step(() -> F.conv2d(x, weight.value(), bias.value(), stride, padding));
    }

    /** forward(upsampleNearest(x, scale)), fused without autograd (no upsampled copy of x). */
    public Tensor forwardUpsampled(Tensor x, int scale) {
        if (stride != 1) throw new IllegalStateException("forwardUpsampled needs a stride-1 Conv2d, this one has stride " + stride);
        return Inference.step(() -> F.upsampleConv2d(x, scale, weight.value(), bias.value(), padding));
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }
}
