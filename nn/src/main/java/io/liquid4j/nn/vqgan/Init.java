package io.liquid4j.nn.vqgan;

import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/** Seeded initial values for the VQGAN's parameters. */
final class Init {
    private Init() {}

    /** Uniform in [−bound, bound). */
    static Tensor uniform(Generator gen, double bound, int... shape) {
        try (var _ = GradMode.noGrad()) {
            return Tensor.rand(gen, shape).affineInPlace(2 * bound, -bound);
        }
    }
}
