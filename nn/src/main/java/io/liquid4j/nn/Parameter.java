package io.liquid4j.nn;

import io.liquid4j.tensor.Tensor;

/**
 * A named, replaceable slot for a module's weight. Modules read {@link #value()} at forward time,
 * so loading a checkpoint can swap in a zero-copy (e.g. memory-mapped BF16) tensor without
 * rebuilding the module. Shared between modules for tied weights.
 */
public final class Parameter {
    private Tensor value;
    private boolean trainable = true;

    public Parameter(Tensor value) { set(value); }

    public Tensor value() { return value; }

    /** Replaces the tensor (closing the old one unless it is the same object); keeps requiresGrad in step with trainable. */
    public void set(Tensor t) {
        if (t == null) throw new IllegalArgumentException("parameter value must not be null");
        if (value != null && value != t) value.close();
        value = t.unscoped();
        value.requiresGrad(trainable && t.dtype().isFloating());
    }

    public boolean isTrainable() { return trainable; }

    /** Frozen parameters get no gradient (requiresGrad false). */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        value.requiresGrad(trainable && value.dtype().isFloating());
    }

    public int[] shape() { return value.shape(); }

    public long numel() { return value.numel(); }
}
