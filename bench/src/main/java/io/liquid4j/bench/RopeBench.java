package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.cpu.CpuBackend;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
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
 * Rotary embedding of q at the demo LM's training shape ([16, 4, 192, 32] F32, the transposed
 * view attention passes): the one-pass CPU kernel (CpuRope, behind CpuBackend.rope) against the
 * composed reference every backend inherits (RopeReference: elementwise ops and a cat), both
 * called at the Backend contract with the same operands, so both write the same bits.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar RopeBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RopeBench {
    private static final MethodHandle REFERENCE;

    static {
        // package-private in io.liquid4j.tensor (backends reach it as Backend's default method)
        try {
            Method m = Class.forName("io.liquid4j.tensor.RopeReference")
                    .getDeclaredMethod("apply", Tensor.class, Tensor.class, Tensor.class, boolean.class, Tensor.class);
            m.setAccessible(true);
            REFERENCE = MethodHandles.lookup().unreflect(m);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Param({"kernel", "reference"})
    public String impl;

    private Tensor x, cos, sin, out;

    @Setup(Level.Trial)
    public void setUp() {
        Generator g = new Generator(1);
        x = Tensor.randn(g, 16, 192, 4, 32).unscoped().transpose(1, 2);     // [B, H, L, D] view of [B, L, H, D]
        cos = Tensor.randn(g, 1, 1, 192, 16).unscoped();
        sin = Tensor.randn(g, 1, 1, 192, 16).unscoped();
        out = Tensor.empty(DType.F32, 16, 4, 192, 32).unscoped();
    }

    @Benchmark
    public Tensor forward() throws Throwable {
        try (var _ = GradMode.noGrad()) {
            if (impl.equals("kernel")) CpuBackend.INSTANCE.rope(x, cos, sin, false, out);
            else REFERENCE.invokeExact(x, cos, sin, false, out);
        }
        return out;
    }
}
