package io.liquid4j.bench.gpu;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.cuda.CudaBackend;
import io.liquid4j.tensor.cuda.CudaDriver;
import java.util.Arrays;

/**
 * GPU kernel benchmarks for bench/gpu-check.sh: device-event timing, warm-up, median of reps.
 * Prints one line per case: "RESULT name value unit" (the script builds the table from these).
 *   bf16 GEMM (cuBLASLt, f32 accumulation, bf16 out) in TFLOP/s;
 *   D2D copy, RMSNorm fwd/bwd and softmax fwd/bwd in GB/s of minimal traffic (bytes read + written).
 */
public final class GpuBench {
    private static CudaBackend be;
    private static CudaDriver drv;

    interface Body { void run(); }

    /** Launches queued back to back per timed rep, so host-side launch cost overlaps GPU work (as in a model step). */
    static final int INNER = 10;

    /** Median milliseconds per call over `reps` timed reps of INNER calls, after `warm` untimed calls. */
    static double time(int warm, int reps, Body b) {
        for (int i = 0; i < warm; i++) b.run();
        long e0 = drv.eventCreate(0), e1 = drv.eventCreate(0);
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            drv.eventRecord(e0, be.stream());
            for (int k = 0; k < INNER; k++) b.run();
            drv.eventRecord(e1, be.stream());
            drv.eventSynchronize(e1);
            ms[i] = drv.eventElapsedMs(e0, e1) / INNER;
        }
        drv.eventDestroy(e0);
        drv.eventDestroy(e1);
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    static void result(String name, double value, String unit) { System.out.printf("RESULT %s %.1f %s%n", name, value, unit); }

    public static void main(String[] args) {
        Device gpu = Device.cuda(0);
        if (!Backends.isAvailable(gpu)) {
            System.out.println("CUDA unavailable: " + Backends.cudaUnavailableReason());
            System.exit(2);
        }
        be = CudaBackend.get();
        drv = be.driver();
        System.out.println(be.describe());
        Generator g = new Generator(1);

        long copyBytes = 1L << 30;
        try (Tensor a = Tensor.zeros(DType.U8, gpu, (int) copyBytes); Tensor b = Tensor.empty(DType.U8, gpu, (int) copyBytes)) {
            double ms = time(3, 10, () -> be.copy(a, b));
            result("d2d_copy", 2.0 * copyBytes / ms / 1e6, "GB/s");
        }

        for (int n : new int[] {4096, 8192}) {
            try (Tensor a = Tensor.randn(g, DType.BF16, gpu, 1, n, n); Tensor w = Tensor.randn(g, DType.BF16, gpu, 1, n, n);
                 Tensor o = Tensor.empty(DType.BF16, gpu, 1, n, n)) {
                double ms = time(3, 10, () -> be.matmulLowPrecision(a, w, o, false));
                result("gemm_bf16_" + n, 2.0 * n * n * n / ms / 1e9, "TFLOP/s");
            }
        }

        int rows = 16384;
        for (int n : new int[] {4096, 8192}) {
            try (Tensor x = Tensor.randn(g, DType.F32, gpu, rows, n); Tensor w = Tensor.randn(g, DType.F32, gpu, n);
                 Tensor out = Tensor.empty(DType.F32, gpu, rows, n); Tensor rstd = Tensor.empty(DType.F32, gpu, rows, 1);
                 Tensor gy = Tensor.randn(g, DType.F32, gpu, rows, n); Tensor gx = Tensor.empty(DType.F32, gpu, rows, n);
                 Tensor gw = Tensor.zeros(DType.F32, gpu, n)) {
                double elems = (double) rows * n;
                double f = time(3, 10, () -> be.rmsNorm(x, w, 1e-6, out, rstd));
                result("rmsnorm_fwd_" + n, (8 * elems + 4.0 * rows) / f / 1e6, "GB/s");
                double bw = time(3, 10, () -> be.rmsNormBackward(x, w, rstd, gy, gx, gw));
                result("rmsnorm_bwd_" + n, (12 * elems + 4.0 * rows) / bw / 1e6, "GB/s");
                double s = time(3, 10, () -> be.softmax(x, out, false));
                result("softmax_fwd_" + n, 8 * elems / s / 1e6, "GB/s");
                double sb = time(3, 10, () -> be.softmaxBackward(out, gy, gx, false));
                result("softmax_bwd_" + n, 12 * elems / sb / 1e6, "GB/s");
            }
        }
        System.out.println("allocator: peak " + be.allocator().peakBytes() + " B, reserved " + be.allocator().reservedBytes() + " B");
    }
}
