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
        VQModel m = VQModel.load(dir);
        Map<String, Tensor> io = Checkpoint.loadAll(dir.resolve("io.safetensors"));
        Tensor x = io.get("x"), codes = io.get("codes");
        for (int r = 0; r < runs; r++) {
            try (var ng = GradMode.noGrad(); var scope = TensorScope.open()) {
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
        try (var ng = GradMode.noGrad()) {
            Tensor x = Tensor.randn(g, 1, 128, 512, 512), w = Tensor.randn(g, 128, 128, 3, 3), b = Tensor.randn(g, 128);
            Tensor cols = Tensor.randn(g, 1, 128 * 9, 512 * 512);
            double flops = 2.0 * 128 * 128 * 9 * 512 * 512;
            for (int r = 0; r < runs; r++) {
                try (var scope = TensorScope.open()) {
                    long t0 = System.nanoTime();
                    F.conv2d(x, w, b, 1, 1);
                    long t1 = System.nanoTime();
                    w.reshape(128, 128 * 9).matmul(cols);
                    long t2 = System.nanoTime();
                    System.out.printf("conv3x3 128ch 512²: conv2d %.3f s (%.1f GFLOP/s), gemm alone %.3f s (%.1f GFLOP/s)%n",
                            (t1 - t0) / 1e9, flops / (t1 - t0), (t2 - t1) / 1e9, flops / (t2 - t1));
                }
            }
        }
    }

    static long vmHwmMiB() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
        return -1;
    }
}
