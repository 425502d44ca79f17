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
 * im2col and col2im of a 3×3, padding-1 training convolution at the demo VQGAN's shapes, through
 * the index map ({@code map}) or row by row ({@code rows}); all threads, the same preallocated
 * tensors every call. In package io.liquid4j.tensor.cpu to reach both paths. Score: µs per call.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar Im2colBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Im2colBench {
    /** images x channels x side. */
    @Param({"16x64x8", "16x32x16", "16x16x32", "16x32x32"})
    public String shape;

    @Param({"map", "rows"})
    public String path;

    private Tensor x, cols;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int n = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]), side = Integer.parseInt(p[2]);
        Generator g = new Generator(1);
        x = Tensor.randn(g, DType.F32, Device.CPU, n, c, side, side).unscoped();
        cols = Tensor.randn(g, DType.F32, Device.CPU, n, c * 9, side * side).unscoped();
    }

    @Benchmark
    public Tensor im2col() {
        if (path.equals("map")) CpuConv.im2colMapped(x, 3, 3, 1, 1, 1, 1, cols);
        else CpuConv.im2colRows(x, 3, 3, 1, 1, 1, 1, cols);
        return cols;
    }

    @Benchmark
    public Tensor col2im() {
        if (path.equals("map")) CpuConv.col2imMapped(cols, 3, 3, 1, 1, 1, 1, x);
        else CpuConv.col2imRows(cols, 3, 3, 1, 1, 1, 1, x);
        return x;
    }
}
