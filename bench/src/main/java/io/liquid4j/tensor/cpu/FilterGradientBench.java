package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A convolution's filter gradient as the VQGAN's training step computes it: per image,
 * dY[O, HW] · colsᵀ, cols = im2col(x) stored [C·9, HW] (a transposed B), batched over the images
 * ({@code CpuMatmul} on all threads, the products to the small-m row loops of {@code GemmGemv}).
 * Shapes: images x O x HW x C·9 of the demo VQGAN's convolutions. Score: µs per batched product;
 * GFLOP/s = 2·images·O·HW·C·9 / (score · 1e3).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar FilterGradientBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FilterGradientBench {
    @Param({"16x16x1024x144", "16x32x256x288", "16x64x64x576"})
    public String shape;

    /** Distinct copies of the operands cycled through: 1 leaves them in cache, 8 brings cols from memory (as after im2col). */
    @Param({"1", "8"})
    public int copies;

    private Tensor[] dy, colsT;
    private Tensor out, x;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int n = Integer.parseInt(p[0]), o = Integer.parseInt(p[1]), hw = Integer.parseInt(p[2]), ck = Integer.parseInt(p[3]);
        Generator g = new Generator(1);
        dy = new Tensor[copies];
        colsT = new Tensor[copies];
        for (int i = 0; i < copies; i++) {
            dy[i] = Tensor.randn(g, DType.F32, Device.CPU, n, o, hw).unscoped();
            colsT[i] = Tensor.randn(g, DType.F32, Device.CPU, n, ck, hw).unscoped().transpose(1, 2);
        }
        out = Tensor.empty(DType.F32, Device.CPU, n, o, ck).unscoped();
        int side = (int) Math.round(Math.sqrt(hw));
        x = Tensor.randn(g, DType.F32, Device.CPU, n, ck / 9, side, side).unscoped();
    }

    @Benchmark
    public Tensor product() {
        int i = next;
        next = (next + 1) % copies;
        CpuMatmul.matmul(dy[i], colsT[i], out, false);
        return out;
    }

    @Benchmark
    public Tensor freshCols() {
        try (Tensor cols = Tensor.empty(DType.F32, Device.CPU, x.size(0), x.size(1) * 9, x.size(2) * x.size(3))) {
            CpuConv.im2colRows(x, 3, 3, 1, 1, 1, 1, cols);
            CpuMatmul.matmul(dy[0], cols.transpose(1, 2), out, false);
        }
        return out;
    }

    @Benchmark
    public Tensor freshColsAlone() {
        try (Tensor cols = Tensor.empty(DType.F32, Device.CPU, x.size(0), x.size(1) * 9, x.size(2) * x.size(3))) {
            CpuConv.im2colRows(x, 3, 3, 1, 1, 1, 1, cols);
        }
        return out;
    }
}
