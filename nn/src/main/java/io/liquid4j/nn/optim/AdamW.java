package io.liquid4j.nn.optim;

import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
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
 * Parameters without a gradient (frozen, or unused this step) are skipped. A parameter stored in
 * BF16/F16 gets an F32 master copy: the update runs on the master and the parameter is written
 * from it, so small updates are not lost to the 8-bit mantissa between steps.
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
        F.AdamWStep scalars = new F.AdamWStep(lr, beta1, beta2, eps, weightDecay, 1 - Math.pow(beta1, step), 1 - Math.pow(beta2, step));
        // one F.adamwUpdateAll per device: a single pass (one kernel launch on a GPU) over the model
        Map<io.liquid4j.tensor.Device, List<F.AdamWSlot>> byDevice = new java.util.LinkedHashMap<>();
        try (var _ = GradMode.noGrad(); var _ = io.liquid4j.tensor.TensorScope.open()) {
            for (Parameter p : params) {
                Tensor w = p.value(), g = w.grad();
                if (g == null || !p.isTrainable()) continue;
                Tensor[] mv = state.computeIfAbsent(p, k -> newState(w));
                byDevice.computeIfAbsent(w.device(), d -> new java.util.ArrayList<>())
                        .add(new F.AdamWSlot(w, g.isContiguous() ? g : g.contiguous(), mv[0], mv[1], mv.length > 2 ? mv[2] : null));
            }
            for (List<F.AdamWSlot> slots : byDevice.values()) F.adamwUpdateAll(slots, scalars);
        }
    }

    /** {m, v} in F32, plus an F32 master copy of a parameter stored in a narrower dtype. */
    private static Tensor[] newState(Tensor w) {
        Tensor m = Tensor.zeros(DType.F32, w.device(), w.shape()).unscoped();
        Tensor v = Tensor.zeros(DType.F32, w.device(), w.shape()).unscoped();
        if (w.dtype() == DType.F32) return new Tensor[] {m, v};
        return new Tensor[] {m, v, w.to(DType.F32).unscoped()};
    }

    /**
     * The optimizer's tensors by name for a checkpoint: "NAME.exp_avg", "NAME.exp_avg_sq" (and
     * "NAME.master" for BF16/F16 parameters) for each parameter that has state; names from
     * {@code names} (the model's named parameters). The step count travels separately.
     */
    public Map<String, Tensor> stateTensors(Map<String, Parameter> names) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (var e : names.entrySet()) {
            Tensor[] mv = state.get(e.getValue());
            if (mv == null || out.containsKey(e.getKey() + ".exp_avg")) continue;
            if (out.values().stream().anyMatch(t -> t == mv[0])) continue;   // a tied parameter under a second name
            out.put(e.getKey() + ".exp_avg", mv[0]);
            out.put(e.getKey() + ".exp_avg_sq", mv[1]);
            if (mv.length > 2) out.put(e.getKey() + ".master", mv[2]);
        }
        return out;
    }

    /**
     * Restores what {@link #stateTensors} saved (tensors are copied) and the step count, for an
     * exact resume. Missing entries leave that parameter without state (as if never updated).
     */
    public void restore(Map<String, Parameter> names, Map<String, Tensor> saved, int steps) {
        close();
        try (var _ = GradMode.noGrad()) {
            for (var e : names.entrySet()) {
                Tensor m = saved.get(e.getKey() + ".exp_avg"), v = saved.get(e.getKey() + ".exp_avg_sq");
                if (m == null || v == null || state.containsKey(e.getValue())) continue;
                Tensor w = e.getValue().value();
                Tensor[] mv = newState(w);
                mv[0].copyFrom(m);
                mv[1].copyFrom(v);
                Tensor master = saved.get(e.getKey() + ".master");
                if (mv.length > 2 && master != null) mv[2].copyFrom(master);
                state.put(e.getValue(), mv);
            }
        }
        this.step = steps;
    }

    /** Clears the gradients of all parameters (before the next backward pass). */
    public void zeroGrad() {
        for (Parameter p : params) p.value().zeroGrad();
    }

    @Override public void close() {
        for (Tensor[] mv : state.values()) for (Tensor t : mv) t.close();
        state.clear();
    }
}
