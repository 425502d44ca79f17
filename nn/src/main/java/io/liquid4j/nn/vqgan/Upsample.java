package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/** Nearest-neighbour ×2 followed by a 3×3 convolution (padding 1), keeping the channel count. */
public final class Upsample extends Module {
    private final Conv2d conv;

    public Upsample(int channels, Generator gen) {
        conv = child("conv", new Conv2d(channels, channels, 3, 1, 1, gen));
    }

    public Tensor forward(Tensor x) {
        return conv.forwardUpsampled(x, 2);
    }
}
