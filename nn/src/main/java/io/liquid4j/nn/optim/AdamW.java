package io.liquid4j.nn.optim;

import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, the update of torch.optim.AdamW:
 * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps).
 * Moments are F32 and live as long as the optimizer ({@link #close()} frees them).
 * Parameters without a gradient (frozen, or unused this step) are skipped.
 */
public final class AdamW implements AutoCloseable {
    private final List<Parameter> params;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<Parameter, Tensor[]> state = new IdentityHashMap<>();
    private double lr;
    private int step;

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (lr < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
            throw new IllegalArgumentException("AdamW needs lr ≥ 0, betas in [0, 1), eps > 0, weight decay ≥ 0");
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public void setLearningRate(double lr) { this.lr = lr; }

    public double learningRate() { return lr; }

    /** Steps taken so far. */
    public int stepCount() { return step; }

    /** One update of every parameter that has a gradient. */
    public void step() {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
        try (var ng = GradMode.noGrad()) {
            for (Parameter p : params) {
                Tensor w = p.value(), g = w.grad();
                if (g == null || !p.isTrainable()) continue;
                Tensor[] mv = state.computeIfAbsent(p, k -> new Tensor[] {
                        Tensor.zeros(DType.F32, w.device(), w.shape()).unscoped(),
                        Tensor.zeros(DType.F32, w.device(), w.shape()).unscoped()});
                Tensor m = mv[0], v = mv[1];
                Tensor gf = g.dtype() == DType.F32 ? g : g.to(DType.F32);
                if (weightDecay != 0) w.mulInPlace(1 - lr * weightDecay);
                m.mulInPlace(beta1).addInPlace(gf.mul(1 - beta1));
                v.mulInPlace(beta2).addInPlace(gf.mul(gf).mul(1 - beta2));
                Tensor update = m.div(v.sqrt().div(sqrtBc2).add(eps)).mul(stepSize);
                w.subInPlace(update);
                update.close();
                if (gf != g) gf.close();
            }
        }
    }

    /** Clears the gradients of all parameters (before the next backward pass). */
    public void zeroGrad() {
        for (Parameter p : params) p.value().zeroGrad();
    }

    @Override public void close() {
        for (Tensor[] mv : state.values()) {
            mv[0].close();
            mv[1].close();
        }
        state.clear();
    }
}
