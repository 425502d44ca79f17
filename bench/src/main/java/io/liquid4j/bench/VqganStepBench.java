package io.liquid4j.bench;

import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
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
 * Encode (image → codes) and decode (codes → image) of one image with Chameleon's VQGAN config
 * (68.7M parameters, random weights: the time does not depend on them) on the CPU. Score: seconds
 * per image. bench/vqgan-bench.sh runs the same against PyTorch on the real weights.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar VqganStepBench [-p op=decode -p resolution=256]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx12g"})
public class VqganStepBench {
    @Param({"encode", "decode"})
    public String op;

    @Param({"256", "512"})
    public int resolution;

    private VQModel model;
    private Tensor image, codes;

    @Setup(Level.Trial)
    public void setUp() {
        model = new VQModel(VqConfig.chameleon(), new Generator(1));
        int grid = VqConfig.chameleon().gridSize(resolution);
        image = Tensor.rand(new Generator(2), DType.F32, io.liquid4j.tensor.Device.CPU, 1, 3, resolution, resolution).mul(2).sub(1).unscoped();
        long[] c = new long[grid * grid];
        for (int i = 0; i < c.length; i++) c[i] = (i * 2654435761L) % 8192;
        codes = Tensor.fromArray(c, 1, grid, grid).unscoped();
    }

    @Benchmark
    public int run() {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            return (op.equals("encode") ? model.encode(image) : model.decode(codes)).dim();
        }
    }
}
