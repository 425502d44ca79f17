package io.liquid4j.nn.layers;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;

/**
 * How a layer fills its parameters when it is built. {@link #random} draws real weights (for
 * training from scratch and tests); {@link #placeholders} allocates nothing: every parameter is
 * a broadcast view of one zero with the right shape, to be replaced by a checkpoint's tensors
 * (so loading a 7B model never materialises 28 GB of f32 initial weights first).
 */
public sealed interface Init {
    /** A [shape] tensor ~ N(0, std²). */
    Tensor normal(double std, int... shape);

    /** A [shape] tensor filled with value. */
    Tensor constant(double value, int... shape);

    static Init random(Generator gen) { return new Random(gen); }

    static Init placeholders() { return Placeholders.INSTANCE; }

    record Random(Generator gen) implements Init {
        @Override public Tensor normal(double std, int... shape) {
            try (var _ = GradMode.noGrad()) {
                return Tensor.randn(gen, shape).mul(std);
            }
        }

        @Override public Tensor constant(double value, int... shape) { return Tensor.full(value, DType.F32, shape); }
    }

    final class Placeholders implements Init {
        static final Placeholders INSTANCE = new Placeholders();

        private Placeholders() {}

        @Override public Tensor normal(double std, int... shape) { return constant(0, shape); }

        @Override public Tensor constant(double value, int... shape) {
            try (var _ = GradMode.noGrad()) {
                return Tensor.scalar(value, DType.F32, Device.CPU).expand(shape);
            }
        }
    }
}
