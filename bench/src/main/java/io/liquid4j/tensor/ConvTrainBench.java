package io.liquid4j.tensor;

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
 * One training convolution, forward and backward (input, filter and bias gradients), at the
 * shapes of `liquid demo`'s VQGAN (16 images of 32×32, 3×3 convolutions, padding 1): the
 * stride-1 path {@code F.conv2dStride1} (inference kernels forward and for the input gradient)
 * against the composed im2col + GEMM path {@code F.conv2dComposed}. In package
 * io.liquid4j.tensor to reach both. Score: ms per forward + backward.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ConvTrainBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ConvTrainBench {
    /** channels in x filters x side: the demo VQGAN's three levels, its conv_in and its conv_out. */
    @Param({"16x16x32", "32x32x16", "64x64x8", "3x16x32", "16x3x32"})
    public String shape;

    @Param({"stride1", "composed"})
    public String path;

    private Tensor x, w, b, up;
    private int side;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int c = Integer.parseInt(p[0]), o = Integer.parseInt(p[1]);
        side = Integer.parseInt(p[2]);
        Generator g = new Generator(1);
        x = Tensor.randn(g, DType.F32, Device.CPU, 16, c, side, side).unscoped().requiresGrad(c > 3);
        w = Tensor.randn(g, DType.F32, Device.CPU, o, c, 3, 3).mul(0.1).unscoped().requiresGrad(true);
        b = Tensor.zeros(DType.F32, Device.CPU, o).unscoped().requiresGrad(true);
        up = Tensor.randn(g, DType.F32, Device.CPU, 16, o, side, side).unscoped();
    }

    @Benchmark
    public int step() {
        try (var _ = TensorScope.open()) {
            Tensor y = path.equals("stride1") ? F.conv2dStride1(x, w, b, 1, 1, side, side) : F.conv2dComposed(x, w, b, 1, 1, 1, 1, side, side);
            y.mul(up).sum().backward();
            w.setGrad(null);
            b.setGrad(null);
            if (x.requiresGrad()) x.setGrad(null);
            return y.dim();
        }
    }
}
