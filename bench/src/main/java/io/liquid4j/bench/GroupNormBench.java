package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
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
 * The VQGAN's training GroupNorm + SiLU (8 groups, affine), forward and backward, at the demo
 * VQGAN's shapes (16 images; channels × side): the fused op ({@code F.groupNormSilu} under
 * autograd: Backend.groupNormTrain / groupNormBackward) against the composition it replaced
 * (layerNorm over each group, ·w, +b, silu, each with its own backward). Score: ms per forward +
 * backward, on all CPU threads.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar GroupNormBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GroupNormBench {
    static final int GROUPS = 8;

    @Param({"16x32", "32x16", "64x8"})
    public String shape;

    @Param({"fused", "composed"})
    public String impl;

    private Tensor x, w, b, up;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int c = Integer.parseInt(p[0]), side = Integer.parseInt(p[1]);
        Generator g = new Generator(1);
        x = Tensor.randn(g, DType.F32, Device.CPU, 16, c, side, side).unscoped().requiresGrad(true);
        w = Tensor.randn(g, DType.F32, Device.CPU, c).unscoped().requiresGrad(true);
        b = Tensor.randn(g, DType.F32, Device.CPU, c).unscoped().requiresGrad(true);
        up = Tensor.randn(g, DType.F32, Device.CPU, 16, c, side, side).unscoped();
    }

    @Benchmark
    public int step() {
        try (var _ = TensorScope.open()) {
            Tensor y = impl.equals("fused") ? F.groupNormSilu(x, GROUPS, w, b, 1e-6) : composed();
            y.backward(up);
            x.setGrad(null);
            w.setGrad(null);
            b.setGrad(null);
            return y.dim();
        }
    }

    /** What F.groupNormSilu ran under autograd before the fused op. */
    private Tensor composed() {
        int n = x.size(0), c = x.size(1);
        Tensor normed = F.layerNorm(x.reshape(n, GROUPS, -1), null, null, 1e-6).reshape(x.shape());
        return normed.mul(w.reshape(1, c, 1, 1)).add(b.reshape(1, c, 1, 1)).silu();
    }
}
