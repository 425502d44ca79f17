package io.liquid4j.tensor;

import java.util.function.Function;

/**
 * Finite-difference gradient check. The scalar objective is Σ f(x)·r for a fixed random r (so
 * every output element matters); the analytic gradient comes from backward(), the numeric one
 * from central differences whose sums and quotients are formed in double. Tensors hold f32, so
 * the step is relatively large (default 1e-2) and tolerances are set accordingly.
 */
public final class GradCheck {
    private final double step;
    private final double atol;
    private final double rtol;
    private final int maxElementsPerInput;

    public GradCheck(double step, double atol, double rtol, int maxElementsPerInput) {
        this.step = step;
        this.atol = atol;
        this.rtol = rtol;
        this.maxElementsPerInput = maxElementsPerInput;
    }

    /** Defaults suitable for smooth f32 ops: step 1e-2, atol 2e-3, rtol 1e-2, ≤ 48 probes per input. */
    public static GradCheck defaults() { return new GradCheck(1e-2, 2e-3, 1e-2, 48); }

    /**
     * Checks f at the given F32 leaf inputs (requiresGrad is set here; inputs with
     * requiresGrad(false) afterwards are treated as constants when {@code constants[i]}).
     * Throws AssertionError naming the input, element, analytic and numeric values on mismatch.
     */
    public void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor t : inputs) {
            if (t.dtype() != DType.F32) throw new IllegalArgumentException("gradcheck inputs must be F32, got " + t.describe());
            t.requiresGrad(true);
            t.zeroGrad();
        }
        double[] proj;
        try (var _ = TensorScope.open()) {
            Tensor out = f.apply(inputs);
            Generator g = new Generator(1234);
            Tensor r = Tensor.randn(g, out.shape());
            proj = r.toDoubleArray();
            out.mul(r).sum().backward();
        }
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (x.grad() == null) throw new AssertionError("input " + i + " received no gradient");
            double[] analytic = x.grad().toDoubleArray();
            float[] values = x.toFloatArray();
            int n = values.length;
            int probes = Math.min(n, maxElementsPerInput);
            java.util.Random pick = new java.util.Random(42 + i);
            for (int p = 0; p < probes; p++) {
                int j = n <= maxElementsPerInput ? p : pick.nextInt(n);
                // the real f32 step (values[j] ± step rounded) divides the difference, not the nominal one
                float hi = (float) (values[j] + step), lo = (float) (values[j] - step);
                double plus = objective(f, inputs, x, j, hi, proj);
                double minus = objective(f, inputs, x, j, lo, proj);
                set(x, j, values[j]);
                double numeric = (plus - minus) / ((double) hi - lo);
                double a = analytic[j];
                if (Math.abs(numeric - a) > atol + rtol * Math.max(Math.abs(numeric), Math.abs(a))) {
                    throw new AssertionError("gradient mismatch at input " + i + " " + x.describe() + " element " + j
                            + ": analytic " + a + ", numeric " + numeric);
                }
            }
        }
        for (Tensor t : inputs) t.zeroGrad();
    }

    private double objective(Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, int j, float value, double[] proj) {
        set(x, j, value);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            double[] out = f.apply(inputs).toDoubleArray();
            double acc = 0;
            for (int k = 0; k < out.length; k++) acc += out[k] * proj[k];
            return acc;
        }
    }

    /** Sets element j (row-major logical order) of x in place, whatever x's strides (reshape(-1) would copy a non-contiguous x). */
    private static void set(Tensor x, int j, float value) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            int[] shape = x.shape();
            int[] idx = new int[shape.length];
            long rem = j;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = (int) (rem % shape[d]);
                rem /= shape[d];
            }
            Tensor e = x.detach();
            for (int d = 0; d < shape.length; d++) e = e.narrow(d, idx[d], 1);
            e.fill(value);
        }
    }
}
