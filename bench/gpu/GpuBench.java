package io.liquid4j.bench.gpu;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.cuda.CudaBackend;
import io.liquid4j.tensor.cuda.CudaDriver;
import java.util.Arrays;

/**
 * GPU kernel benchmarks for bench/gpu-check.sh: device-event timing, warm-up, median of reps.
 * Prints one line per case: "RESULT name value unit" (the script builds the table from these).
 *   bf16 GEMM (cuBLASLt, f32 accumulation, bf16 out) in TFLOP/s;
 *   D2D copy, RMSNorm fwd/bwd and softmax fwd/bwd in GB/s of minimal traffic (bytes read + written);
 *   flash attention (causal, BF16, head dim 128, 16 heads, 16k tokens per batch) forward and
 *   forward+backward in TFLOP/s (FlashAttention's count: forward 4·B·H·L²·D/2 causal, backward 2.5×),
 *   and decode attention (one query per row over a KV cache) in GB/s of K/V read.
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

    static double maxRel(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs(x[i] - y[i]) / (1 + Math.abs(x[i]));
            if (!(d <= m)) m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
        }
        return m;
    }

    /** Flash attention fwd / fwd+bwd at 1k–16k tokens, then decode attention over 8k and 32k cached keys. */
    static void attention(Generator g, Device gpu) {
        int heads = 16, d = 128;
        for (int len : new int[] {1024, 4096, 16384}) {
            int batch = Math.max(1, 16384 / len);
            try (Tensor q = Tensor.randn(g, DType.BF16, gpu, batch, heads, len, d); Tensor k = Tensor.randn(g, DType.BF16, gpu, batch, heads, len, d);
                 Tensor v = Tensor.randn(g, DType.BF16, gpu, batch, heads, len, d); Tensor out = Tensor.empty(DType.F32, gpu, batch, heads, len, d);
                 Tensor lse = Tensor.empty(DType.F32, gpu, batch, heads, len); Tensor gOut = Tensor.randn(g, DType.F32, gpu, batch, heads, len, d);
                 Tensor gq = Tensor.empty(DType.F32, gpu, batch, heads, len, d); Tensor gk = Tensor.empty(DType.F32, gpu, batch, heads, len, d);
                 Tensor gv = Tensor.empty(DType.F32, gpu, batch, heads, len, d)) {
                AttentionSpec spec = AttentionSpec.causal(1 / Math.sqrt(d));
                double flop = 4.0 * batch * heads * (double) len * len * d / 2;
                double f = time(2, 5, () -> be.attention(q, k, v, spec, out, lse));
                double b = time(2, 5, () -> be.attentionBackward(q, k, v, spec, out, lse, gOut, gq, gk, gv));
                result("attn_fwd_" + len, flop / f / 1e9, "TFLOP/s");
                result("attn_fwdbwd_" + len, 3.5 * flop / (f + b) / 1e9, "TFLOP/s");
            }
        }
        for (int len : new int[] {8192, 32768}) {
            int batch = 4, hq = 32, hkv = 8;
            try (Tensor q = Tensor.randn(g, DType.BF16, gpu, batch, hq, 1, d); Tensor k = Tensor.randn(g, DType.BF16, gpu, batch, hkv, len, d);
                 Tensor v = Tensor.randn(g, DType.BF16, gpu, batch, hkv, len, d); Tensor out = Tensor.empty(DType.F32, gpu, batch, hq, 1, d);
                 Tensor lse = Tensor.empty(DType.F32, gpu, batch, hq, 1)) {
                AttentionSpec spec = AttentionSpec.causal(1 / Math.sqrt(d));
                double ms = time(3, 10, () -> be.attention(q, k, v, spec, out, lse));
                result("attn_decode_" + len, 2.0 * batch * hkv * (double) len * d * 2 / ms / 1e6, "GB/s");
            }
        }
    }

    /**
     * The fused LM head + cross-entropy (+ z-loss 1e-4) forward and backward at Liquid's vocabulary:
     * N 8192 tokens, hidden 3072, V 264,192, BF16 hidden and weight; milliseconds per fwd+bwd and the
     * allocator's peak above the inputs (the [N, V] logits alone would be 8.7 GB in F32).
     */
    static void linearCrossEntropy(Generator g, Device gpu) {
        int n = 8192, h = 3072, v = 264_192;
        long[] ids = new long[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(v);
        try (Tensor x0 = Tensor.randn(g, DType.BF16, gpu, n, h); Tensor w0 = Tensor.randn(g, DType.BF16, gpu, v, h);
             Tensor targets = Tensor.fromArray(ids, n).to(gpu)) {
            Tensor x = x0.mul(0.02).detach().unscoped().requiresGrad(true), w = w0.mul(0.02).detach().unscoped().requiresGrad(true);
            Body step = () -> {
                try (TensorScope scope = TensorScope.open()) {
                    F.linearCrossEntropy(x, w, targets, -100, 1e-4, 0).backward();
                    x.zeroGrad();
                    w.zeroGrad();
                }
            };
            // the default chunk (512 MiB of F32 logits: 504 rows), then 2 GiB (2016 rows): fewer passes over gWeight
            for (String chunk : new String[] {"", "2147483648"}) {
                if (!chunk.isEmpty()) System.setProperty("liquid4j.xent.chunkBytes", chunk);
                step.run();
                be.synchronize();
                be.allocator().resetPeak();
                long base = be.allocator().allocatedBytes();
                double ms = time(1, 3, step);
                String sfx = chunk.isEmpty() ? "" : "_chunk2g";
                result("xent_fwdbwd_ms" + sfx, ms, "ms");
                result("xent_peak_mib" + sfx, (be.allocator().peakBytes() - base) / 1048576.0, "MiB");
                System.clearProperty("liquid4j.xent.chunkBytes");
            }
            x.close();
            w.close();
        }
    }

    /** Runs rmsNorm/softmax fwd+bwd (bf16 and f32 weights) with the float4 kernels and the scalar ones (liquid4j.rows=1); prints CHECK lines. */
    static void checkVariants(Generator g, Device gpu, int rows, int n) {
        try (Tensor x = Tensor.randn(g, DType.F32, gpu, rows, n); Tensor gy = Tensor.randn(g, DType.F32, gpu, rows, n);
             Tensor w32 = Tensor.randn(g, DType.F32, gpu, n); Tensor w16 = Tensor.randn(g, DType.BF16, gpu, n)) {
            Tensor[][] res = new Tensor[2][];
            for (int v : new int[] {1, 0}) {
                System.setProperty("liquid4j.rows", Integer.toString(v));
                Tensor[] r = new Tensor[12];
                for (int k = 0; k < 2; k++) {
                    Tensor w = k == 0 ? w32 : w16;
                    Tensor out = Tensor.empty(DType.F32, gpu, rows, n), rstd = Tensor.empty(DType.F32, gpu, rows, 1);
                    Tensor gx = Tensor.empty(DType.F32, gpu, rows, n), gw = Tensor.zeros(DType.F32, gpu, n), gw2 = Tensor.zeros(DType.F32, gpu, n);
                    be.fill(out, Float.NaN);
                    be.fill(gx, Float.NaN);
                    be.rmsNorm(x, w, 1e-6, out, rstd);
                    be.rmsNormBackward(x, w, rstd, gy, gx, gw);
                    be.rmsNormBackward(x, w, rstd, gy, gx, gw2);
                    r[k * 4] = out; r[k * 4 + 1] = rstd; r[k * 4 + 2] = gx; r[k * 4 + 3] = gw;
                    if (v != 1 && maxRel(gw, gw2) != 0) System.out.println("CHECK FAIL gw not deterministic v" + v + " n=" + n);
                }
                for (int k = 0; k < 2; k++) {
                    boolean log = k == 1;
                    Tensor y = Tensor.empty(DType.F32, gpu, rows, n), gx = Tensor.empty(DType.F32, gpu, rows, n);
                    be.fill(y, Float.NaN);
                    be.fill(gx, Float.NaN);
                    be.softmax(x, y, log);
                    be.softmaxBackward(y, gy, gx, log);
                    r[8 + 2 * k] = y; r[9 + 2 * k] = gx;
                }
                res[v] = r;
            }
            System.clearProperty("liquid4j.rows");
            String[] names = {"rms_out", "rms_rstd", "rms_gx", "rms_gw", "rms16_out", "rms16_rstd", "rms16_gx", "rms16_gw",
                              "sm_y", "sm_gx", "lsm_y", "lsm_gx"};
            double worst = 0;
            String at = "";
            for (int i = 0; i < 12; i++) {
                double d = maxRel(res[1][i], res[0][i]);
                if (!(d <= worst)) { worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d; at = names[i]; }
            }
            System.out.printf("CHECK n=%d rows=%d max rel diff vs scalar kernels %.2e (%s) %s%n", n, rows, worst, at,
                    worst <= 1e-4 ? "ok" : "FAIL");
            for (Tensor[] r : res) for (Tensor t : r) t.close();
        }
    }

    /** Host↔device GB/s for 256 MiB: the driver's pageable path, the pinned staging path (default) and a pinned source/target (ceiling). */
    static void transfers(Device gpu) {
        long bytes = 256L << 20;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared(); Tensor t = Tensor.empty(DType.U8, gpu, (int) bytes)) {
            java.lang.foreign.MemorySegment host = arena.allocate(bytes, 4096);
            for (long i = 0; i < bytes; i += 8) host.set(java.lang.foreign.ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
            java.lang.foreign.MemorySegment pinned = drv.hostAlloc(bytes);
            pinned.copyFrom(host);
            String[] modes = {"pageable", "pinned_staged", "pinned_direct"};
            for (int m = 0; m < 3; m++) {
                System.setProperty("liquid4j.cuda.pinnedStaging", m == 1 ? "true" : "false");
                java.lang.foreign.MemorySegment src = m == 2 ? pinned : host;
                double[] h2d = new double[7], d2h = new double[7];
                for (int r = 0; r < 7; r++) {
                    long t0 = System.nanoTime();
                    be.writeFromHost(src, t);
                    long t1 = System.nanoTime();
                    be.readToHost(t, src);
                    long t2 = System.nanoTime();
                    h2d[r] = bytes / (double) (t1 - t0);
                    d2h[r] = bytes / (double) (t2 - t1);
                }
                Arrays.sort(h2d);
                Arrays.sort(d2h);
                result("h2d_" + modes[m], h2d[3], "GB/s");
                result("d2h_" + modes[m], d2h[3], "GB/s");
            }
            // staged path: host-copy threads per 8 MiB chunk (the memcpy into the pinned buffer bounds it)
            for (int th : new int[] {1, 2, 4, 8, 16}) {
                System.setProperty("liquid4j.cuda.pinnedStaging", "true");
                System.setProperty("liquid4j.cuda.stagingThreads", Integer.toString(th));
                double[] h2d = new double[5], d2h = new double[5];
                for (int r = 0; r < 5; r++) {
                    long t0 = System.nanoTime();
                    be.writeFromHost(host, t);
                    long t1 = System.nanoTime();
                    be.readToHost(t, host);
                    long t2 = System.nanoTime();
                    h2d[r] = bytes / (double) (t1 - t0);
                    d2h[r] = bytes / (double) (t2 - t1);
                }
                Arrays.sort(h2d);
                Arrays.sort(d2h);
                System.out.printf("STAGING threads=%d h2d %.1f d2h %.1f GB/s%n", th, h2d[2], d2h[2]);
            }
            System.clearProperty("liquid4j.cuda.stagingThreads");
            System.clearProperty("liquid4j.cuda.pinnedStaging");
            boolean same = host.mismatch(pinned) == -1;
            System.out.println("CHECK transfers round trip " + (same ? "ok" : "FAIL"));
            drv.freeHost(pinned);
        }
    }

    /**
     * Sections to run, default all: base (D2D copy, GEMM, host transfers), attention, xent, rows.
     * bench/gpu-check.sh runs each in a JVM of its own, so that a kernel fault in one (a broken CUDA
     * context is sticky) does not lose the others' numbers.
     */
    public static void main(String[] args) {
        java.util.Set<String> sections = args.length == 0 ? java.util.Set.of("base", "attention", "xent", "rows") : java.util.Set.of(args);
        Device gpu = Device.cuda(0);
        if (!Backends.isAvailable(gpu)) {
            System.out.println("CUDA unavailable: " + Backends.cudaUnavailableReason());
            System.exit(2);
        }
        be = CudaBackend.get();
        drv = be.driver();
        System.out.println(be.describe());
        Generator g = new Generator(1);

        if (sections.contains("base")) base(g, gpu);
        if (sections.contains("attention")) attention(g, gpu);
        if (sections.contains("xent")) linearCrossEntropy(g, gpu);
        if (sections.contains("rows")) rows(g, gpu);
        System.out.println("allocator: peak " + be.allocator().peakBytes() + " B, reserved " + be.allocator().reservedBytes() + " B");
    }

    static void base(Generator g, Device gpu) {
        long copyBytes = 1L << 30;
        try (Tensor a = Tensor.zeros(DType.U8, gpu, (int) copyBytes); Tensor b = Tensor.empty(DType.U8, gpu, (int) copyBytes)) {
            double ms = time(3, 10, () -> be.copy(a, b));
            result("d2d_copy", 2.0 * copyBytes / ms / 1e6, "GB/s");
        }

        // bf16 GEMM: the heuristic's first algorithm (tuning off), then the tuned choice, timed three
        // times (each a median of 10 reps) to show the run-to-run spread; the chosen algorithms are listed.
        for (int n : new int[] {4096, 8192}) {
            try (Tensor a = Tensor.randn(g, DType.BF16, gpu, 1, n, n); Tensor w = Tensor.randn(g, DType.BF16, gpu, 1, n, n);
                 Tensor o = Tensor.empty(DType.BF16, gpu, 1, n, n)) {
                double flop = 2.0 * n * n * n;
                System.setProperty("liquid4j.cuda.gemmTune", "false");
                double h = time(3, 10, () -> be.matmulLowPrecision(a, w, o, false));
                result("gemm_bf16_heuristic_" + n, flop / h / 1e9, "TFLOP/s");
                System.clearProperty("liquid4j.cuda.gemmTune");
                double[] tf = new double[3];
                for (int r = 0; r < 3; r++) tf[r] = flop / time(3, 10, () -> be.matmulLowPrecision(a, w, o, false)) / 1e9;
                double[] sorted = tf.clone();
                Arrays.sort(sorted);
                result("gemm_bf16_" + n, sorted[1], "TFLOP/s");
                System.out.printf("GEMM_SPREAD %d tuned runs %.1f %.1f %.1f TFLOP/s%n", n, tf[0], tf[1], tf[2]);
            }
        }
        for (String c : be.gemmChoices()) System.out.println("GEMM_ALGO " + c);

        transfers(gpu);
    }

    static void rows(Generator g, Device gpu) {
        // Cross-check of the float4 row kernels (liquid4j.rows = 0, the default) against
        // the scalar kernels (1) at sizes CudaParityTest does not cover; gw also checked for run-to-run equality.
        for (int n : new int[] {1024, 1028, 2048, 4096, 6000, 8192, 12000}) checkVariants(g, gpu, 300, n);

        int rows = 16384;
        String[] variants = {"", "legacy_"};   // liquid4j.rows = 0, 1
        for (int n : new int[] {4096, 8192}) {
            try (Tensor x = Tensor.randn(g, DType.F32, gpu, rows, n); Tensor w = Tensor.randn(g, DType.F32, gpu, n);
                 Tensor out = Tensor.empty(DType.F32, gpu, rows, n); Tensor rstd = Tensor.empty(DType.F32, gpu, rows, 1);
                 Tensor gy = Tensor.randn(g, DType.F32, gpu, rows, n); Tensor gx = Tensor.empty(DType.F32, gpu, rows, n);
                 Tensor gw = Tensor.zeros(DType.F32, gpu, n)) {
                double elems = (double) rows * n;
                for (int v : new int[] {1, 0}) {
                    System.setProperty("liquid4j.rows", Integer.toString(v));
                    String p = variants[v];
                    double f = time(3, 10, () -> be.rmsNorm(x, w, 1e-6, out, rstd));
                    result(p + "rmsnorm_fwd_" + n, (8 * elems + 4.0 * rows) / f / 1e6, "GB/s");
                    double bw = time(3, 10, () -> be.rmsNormBackward(x, w, rstd, gy, gx, gw));
                    result(p + "rmsnorm_bwd_" + n, (12 * elems + 4.0 * rows) / bw / 1e6, "GB/s");
                    double s = time(3, 10, () -> be.softmax(x, out, false));
                    result(p + "softmax_fwd_" + n, 8 * elems / s / 1e6, "GB/s");
                    double sb = time(3, 10, () -> be.softmaxBackward(out, gy, gx, false));
                    result(p + "softmax_bwd_" + n, 12 * elems / sb / 1e6, "GB/s");
                }
                System.clearProperty("liquid4j.rows");
            }
        }
    }
}
