package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/**
 * Halves the resolution as taming-transformers does: zero-pad right and bottom by one, then a
 * 3×3 stride-2 convolution without padding. The asymmetric pad is what makes window i start at
 * pixel 2i (a symmetric pad of 1 would shift every window up-left by one).
 */
public final class Downsample extends Module {
    private static final int[] PAD_RIGHT_BOTTOM = {0, 1, 0, 1};
    private final Conv2d conv;

    public Downsample(int channels, Generator gen) {
        conv = child("conv", new Conv2d(channels, channels, 3, 2, 0, gen));
    }

    public Tensor forward(Tensor x) {
        return Inference.step(() -> conv.forward(F.pad(x, PAD_RIGHT_BOTTOM, 0)));
    }
}
