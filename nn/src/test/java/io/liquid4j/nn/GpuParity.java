package io.liquid4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import java.util.Locale;

/**
 * Model-level GPU/CPU comparisons for the @Tag("gpu") tests: a whole forward pass on cuda:0
 * against the same model on the CPU. Each check keeps the worst error it saw, and {@link #report}
 * prints one MODEL_PARITY line per case that bench/gpu-check.sh summarises.
 */
public final class GpuParity {
    public static final Device GPU = Device.cuda(0);
    /** F32 weights: GPU and CPU differ only by summation order and fused kernels. */
    public static final double F32_TOL = 1e-4;
    /** BF16 weights: the GPU may also run the GEMMs with BF16 activations. */
    public static final double BF16_TOL = 2e-2;

    private final String what;
    private final double tol;
    private double worst;
    private int checks;

    public GpuParity(String what, double tol) {
        this.what = what;
        this.tol = tol;
    }

    /** Skips the test (an assumption, not a failure) on machines without a usable CUDA device. */
    public static void assumeGpu() {
        assumeTrue(Backends.isAvailable(GPU), "no CUDA device: " + Backends.cudaUnavailableReason());
    }

    /** max|gpu − cpu| / max|cpu| over the whole tensor (NaN when either has a NaN). */
    public static double relError(Tensor gpu, Tensor cpu) {
        assertArrayEquals(cpu.shape(), gpu.shape(), "shape");
        float[] g = gpu.toFloatArray(), c = cpu.toFloatArray();
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < c.length; i++) {
            double d = Math.abs(g[i] - c[i]);
            if (Double.isNaN(d)) return Double.NaN;
            diff = Math.max(diff, d);
            scale = Math.max(scale, Math.abs(c[i]));
        }
        return diff / scale;
    }

    /** Asserts gpu (which must live on cuda:0) is within the tolerance of cpu; `where` names the slice. */
    public void check(String where, Tensor gpu, Tensor cpu) {
        assertEquals(GPU, gpu.device(), what + " " + where + ": the GPU result is not on the GPU");
        double err = relError(gpu, cpu);
        checks++;
        worst = Math.max(worst, err);   // NaN sticks
        assertTrue(err <= tol, what + " " + where + ": GPU vs CPU relative error " + err + " > " + tol);
    }

    /** One line for the log: the case, how many slices were compared and the worst error. */
    public void report() {
        System.out.printf(Locale.ROOT, "MODEL_PARITY %-40s checks %3d rel %.1e tol %.0e%n", what, checks, worst, tol);
    }
}
