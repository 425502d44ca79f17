package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;

/**
 * RMSNorm over the last dimension, in f32. Two formulas (spec/models.md):
 * Llama/Qwen2 scale by the stored weight; Gemma stores an offset around 0 and scales by
 * (1 + w), the sum taken in f32 before the product.
 */
public final class RMSNorm extends Module {
    private final Parameter weight;
    private final double eps;
    private final boolean unitOffset;

    /** unitOffset: Gemma's (1 + w) scale, initialised to w = 0; otherwise w initialised to 1. */
    public RMSNorm(int dim, double eps, boolean unitOffset, Init init) {
        this.eps = eps;
        this.unitOffset = unitOffset;
        weight = param("weight", init.constant(unitOffset ? 0 : 1, dim));
    }

    public Tensor forward(Tensor x) {
        Tensor w = weight.value();
        if (unitOffset) {
            // 1 + w must be formed in f32: in BF16 the sum would round (1.0078 steps near 1)
            w = w.to(DType.F32).add(1.0);
        }
        Tensor y = F.rmsNorm(x, w, eps);
        return y.dtype() == x.dtype() ? y : y.to(x.dtype());
    }

    public Parameter weight() { return weight; }
}
