package io.liquid4j.bench;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.UnaryOp;
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
 * Elementwise ops of a training step at the demo LM's MLP shape ([3072, 384] F32: 16 rows of
 * 192 tokens, intermediate 384), forward and (for the unary ops) backward. The point is as much
 * the allocation as the time: run with {@code -prof gc} and gc.alloc.rate.norm must stay at the
 * few hundred bytes of tensor objects, not megabytes — a vector that C2 failed to keep in
 * registers shows up there first (BENCHMARKS.md "Vectors that escaped").
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ElementwiseBench -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseBench {
    /**
     * add / mul: two [3072, 384] tensors; addRow: a [384] row broadcast; the rest unary forward, then *Backward;
     * swiglu / swigluComposed: silu(x)·up as the fused F.gatedActivation and as silu then mul, and
     * swigluBackward / swigluComposedBackward the same with their backward.
     */
    @Param({"add", "mul", "addRow", "silu", "exp", "sigmoid", "siluBackward", "tanhBackward", "swiglu", "swigluComposed", "swigluBackward",
            "swigluComposedBackward"})
    public String op;

    private Tensor x, y, row, up;

    @Setup(Level.Trial)
    public void setUp() {
        Generator g = new Generator(1);
        x = Tensor.randn(g, DType.F32, Device.CPU, 3072, 384).unscoped();
        y = Tensor.randn(g, DType.F32, Device.CPU, 3072, 384).unscoped();
        row = Tensor.randn(g, DType.F32, Device.CPU, 384).unscoped();
        up = Tensor.randn(g, DType.F32, Device.CPU, 3072, 384).unscoped();
    }

    @Benchmark
    public float run() {
        try (var _ = TensorScope.open()) {
            return switch (op) {
                case "add" -> forward(() -> x.add(y));
                case "mul" -> forward(() -> x.mul(y));
                case "addRow" -> forward(() -> x.add(row));
                case "silu" -> forward(x::silu);
                case "exp" -> forward(x::exp);
                case "sigmoid" -> forward(x::sigmoid);
                case "siluBackward" -> backward(Tensor::silu);
                case "tanhBackward" -> backward(Tensor::tanh);
                case "swiglu" -> forward(() -> F.gatedActivation(x, up, UnaryOp.SILU));
                case "swigluComposed" -> forward(() -> x.silu().mul(up));
                case "swigluBackward" -> gatedBackward(true);
                case "swigluComposedBackward" -> gatedBackward(false);
                default -> throw new IllegalArgumentException(op);
            };
        }
    }

    private static float forward(java.util.function.Supplier<Tensor> f) {
        try (var _ = GradMode.noGrad()) {
            Tensor r = f.get();
            return r.storage() == null ? 0 : 1;
        }
    }

    /** silu(x)·up summed, backward to both x and up, fused or composed. */
    private float gatedBackward(boolean fused) {
        Tensor gate = x.detach().requiresGrad(true), u = up.detach().requiresGrad(true);
        (fused ? F.gatedActivation(gate, u, UnaryOp.SILU) : gate.silu().mul(u)).sum().backward();
        return gate.grad().storage() == null ? 0 : 1;
    }

    /** f(x)·up summed, backward: the unary op's backward kernel plus one mul's. */
    private float backward(java.util.function.UnaryOperator<Tensor> f) {
        Tensor leaf = x.detach().requiresGrad(true);
        f.apply(leaf).mul(up).sum().backward();
        return leaf.grad().storage() == null ? 0 : 1;
    }
}
