package io.liquid4j.bench;

import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Encode/decode of one 512×512 image with Chameleon's full VQGAN config on the CPU, for
 * bench/vqgan-bench.sh (which times PyTorch on the same weights in the same run).
 *
 * <pre>java ... io.liquid4j.bench.VqganBench DIR encode|decode|conv [runs]</pre>
 * DIR is what `tools/golden/make_vqgan_fixtures.py --full` writes (target/vqgan-full). Prints one
 * line per run and, for decode, the process's peak resident memory (VmHWM) afterwards.
 */
public final class VqganBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/vqgan-full");
        String mode = args.length > 1 ? args[1] : "decode";
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        if (mode.equals("conv")) {
            conv(runs);
            return;
        }
        if (mode.equals("ops")) {
            ops(runs);
            return;
        }
        VQModel m = VQModel.load(dir);
        Map<String, Tensor> io = Checkpoint.loadAll(dir.resolve("io.safetensors"));
        Tensor x = io.get("x"), codes = io.get("codes");
        for (int r = 0; r < runs; r++) {
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                long t0 = System.nanoTime();
                Tensor out = mode.equals("encode") ? m.encode(x) : m.decode(codes);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("java %s run %d: %.3f s  %s%n", mode, r, s, java.util.Arrays.toString(out.shape()));
            }
        }
        System.out.println("java " + mode + " peak RSS (VmHWM): " + vmHwmMiB() + " MiB");
    }

    /** One 3×3 conv 128→128 at 512² (the dominant layer), whole op vs its GEMM alone. */
    private static void conv(int runs) {
        Generator g = new Generator(1);
        try (var _ = GradMode.noGrad()) {
            Tensor x = Tensor.randn(g, 1, 128, 512, 512), w = Tensor.randn(g, 128, 128, 3, 3), b = Tensor.randn(g, 128);
            Tensor cols = Tensor.randn(g, 1, 128 * 9, 512 * 512);
            double flops = 2.0 * 128 * 128 * 9 * 512 * 512;
            for (int r = 0; r < runs; r++) {
                try (var _ = TensorScope.open()) {
                    long t0 = System.nanoTime();
                    F.conv2d(x, w, b, 1, 1);
                    long t1 = System.nanoTime();
                    w.reshape(128, 128 * 9).matmul(cols);
                    long t2 = System.nanoTime();
                    System.out.printf("conv3x3 128ch 512²: conv2d %.3f s (%.1f GFLOP/s), gemm alone %.3f s (%.1f GFLOP/s)%n",
                            (t1 - t0) / 1e9, flops / (t1 - t0), (t2 - t1) / 1e9, flops / (t2 - t1));
                    Tensor rgb = Tensor.randn(g, 1, 3, 512, 512), w3 = Tensor.randn(g, 128, 3, 3, 3);
                    time("conv_in 3→128 at 512²", () -> F.conv2d(rgb, w3, b, 1, 1));
                    Tensor padded = F.pad(x, new int[] {0, 1, 0, 1}, 0);
                    time("downsample 128ch 513²→256²", () -> F.conv2d(padded, w, b, 2, 0));
                }
            }
        }
    }

    /** The elementwise and normalisation ops of a 128-channel 512² decoder level, one by one. */
    private static void ops(int runs) {
        Generator g = new Generator(2);
        try (var _ = GradMode.noGrad()) {
            Tensor x = Tensor.randn(g, 1, 128, 512, 512), small = Tensor.randn(g, 1, 128, 256, 256);
            Tensor w = Tensor.ones(128), b = Tensor.zeros(128);
            for (int r = 0; r < runs; r++) {
                try (var _ = TensorScope.open()) {
                    time("groupNorm", () -> F.groupNorm(x, 32, w, b, 1e-6));
                    time("silu", x::silu);
                    time("add", () -> x.add(x));
                    time("upsampleNearest 256→512", () -> F.upsampleNearest(small, 2));
                    time("upsample two-step", () -> {
                        int n = 1, c = 128, h = 256, wd = 256;
                        Tensor cols = small.reshape(n, c, h, wd, 1).expand(n, c, h, wd, 2).reshape(n, c, h, 1, 2 * wd);
                        return cols.expand(n, c, h, 2, 2 * wd).reshape(n, c, 2 * h, 2 * wd);
                    });
                    time("groupNorm via stats", () -> {
                        Tensor g3 = x.reshape(1, 32, -1);
                        Tensor mean = g3.mean(2, true), var = g3.var(2, true, 0);
                        Tensor rstd = var.add(1e-6).rsqrt();
                        Tensor scale = rstd.expand(1, 32, 4).reshape(1, 128, 1, 1);
                        Tensor shift = mean.mul(rstd).neg().expand(1, 32, 4).reshape(1, 128, 1, 1);
                        return x.mul(scale).add(shift);
                    });
                    time("pad (0,1,0,1)", () -> F.pad(x, new int[] {0, 1, 0, 1}, 0));
                }
            }
        }
    }

    private static void time(String what, java.util.function.Supplier<Tensor> op) {
        long t0 = System.nanoTime();
        op.get();
        System.out.printf("%-26s %.3f s%n", what, (System.nanoTime() - t0) / 1e9);
    }

    static long vmHwmMiB() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
        return -1;
    }
}
