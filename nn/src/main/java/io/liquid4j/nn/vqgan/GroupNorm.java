package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;

/** The VQGAN's Normalize: GroupNorm with affine weight [C] (ones) and bias [C] (zeros). */
public final class GroupNorm extends Module {
    private final Parameter weight, bias;
    private final int groups, channels;
    private final double eps;

    public GroupNorm(int groups, int channels, double eps) {
        if (channels % groups != 0) throw new IllegalArgumentException("GroupNorm: " + channels + " channels are not divisible into " + groups + " groups");
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        weight = param("weight", Tensor.ones(channels));
        bias = param("bias", Tensor.zeros(channels));
    }

    /** Normalize(C) of the spec: `groups` groups (32 in every released VQGAN), eps 1e-6. */
    public static GroupNorm normalize(int groups, int channels) { return new GroupNorm(groups, channels, 1e-6); }

    public Tensor forward(Tensor x) {
        return F.groupNorm(x, groups, weight.value(), bias.value(), eps);
    }

    /** silu(forward(x)), fused into one pass without autograd. */
    public Tensor forwardSwish(Tensor x) {
        return F.groupNormSilu(x, groups, weight.value(), bias.value(), eps);
    }
}
