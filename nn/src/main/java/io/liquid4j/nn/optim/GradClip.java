package io.liquid4j.nn.optim;

import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;

/** Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the global L2 norm over every
     * parameter's gradient; returns that norm (before clipping).
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        double sumSq = 0;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            // one fused pass per device (F.sumsOfSquares) instead of three ops a parameter; the
            // parameters' squares are added in parameter order, as the separate ops added them
            List<Tensor> grads = new ArrayList<>();
            for (Parameter p : params) if (p.value().grad() != null) grads.add(p.value().grad());
            for (double s : F.sumsOfSquares(grads)) sumSq += s;
            double norm = Math.sqrt(sumSq);
            double coef = Math.min(1.0, maxNorm / (norm + 1e-6));
            if (coef < 1.0) {
                for (Parameter p : params) {
                    Tensor g = p.value().grad();
                    if (g != null) g.mulInPlace(coef);
                }
            }
            return norm;
        }
    }
}
