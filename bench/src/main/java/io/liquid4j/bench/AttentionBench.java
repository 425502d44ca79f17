package io.liquid4j.bench;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.cpu.CpuBackend;
import io.liquid4j.tensor.cpu.NativeMemory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
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
 * Causal self-attention, 12 heads × 64, batch 1, F32, on all CPU threads: the tiled CPU kernel
 * (CpuBackend.attention / attentionBackward) against the composed reference every backend
 * inherits (AttentionReference: batched matmuls and a masked softmax over the T×T scores),
 * both called at the Backend contract, so both produce the same out/lse and dq/dk/dv.
 * Scores: milliseconds per forward, and per forward + backward. bench/attention-bench.sh runs
 * it next to PyTorch; the reference needs ~10 T×T f32 matrices and is run up to T = 2048.
 *
 * <pre>java ... io.liquid4j.bench.AttentionBench T kernel|reference fwd|fwdbwd [runs]</pre>
 * (outside JMH) runs one configuration in a fresh JVM and prints its times, the peak of the
 * engine's native allocations (every tensor: inputs, results, temporaries) and the process's
 * peak RSS (VmHWM); {@code AttentionBench info} prints the backend and its vector species.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class AttentionBench extends AttentionOperandsBench {
    static final int HEADS = 12, DIM = 64;

    @Param({"512", "2048", "8192"})
    public int t;

    @Param({"kernel", "reference"})
    public String impl;

    @Setup(Level.Trial)
    public void setUp() {
        if (impl.equals("reference") && t > 2048) {
            // ~10 live [12, T, T] f32 tensors: 32 GB at T = 8192
            throw new IllegalStateException("the composed reference is run up to T = 2048 only (its T×T tensors need ~"
                    + 10L * HEADS * t * t * 4 / (1 << 30) + " GiB at T = " + t + ")");
        }
        x = new Operands(t, impl.equals("reference"));
    }

    /** q, k, v, dOut and the results of one size, and the implementation to run. */
    static final class Operands implements AutoCloseable {
        private static final MethodHandle REF_FORWARD, REF_BACKWARD;

        static {
            // the reference is package-private in io.liquid4j.tensor (backends reach it as Backend's
            // default methods); the benchmark calls it directly, like the tests do
            try {
                Class<?> ref = Class.forName("io.liquid4j.tensor.AttentionReference");
                Method f = ref.getDeclaredMethod("forward", Tensor.class, Tensor.class, Tensor.class, AttentionSpec.class, Tensor.class, Tensor.class);
                Method b = ref.getDeclaredMethod("backward", Tensor.class, Tensor.class, Tensor.class, AttentionSpec.class, Tensor.class, Tensor.class,
                        Tensor.class, Tensor.class, Tensor.class, Tensor.class);
                f.setAccessible(true);
                b.setAccessible(true);
                REF_FORWARD = MethodHandles.lookup().unreflect(f);
                REF_BACKWARD = MethodHandles.lookup().unreflect(b);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final TensorScope scope = TensorScope.open();
        final Tensor q, k, v, gOut, out, lse, gq, gk, gv;
        final AttentionSpec spec;
        final boolean reference;

        Operands(int t, boolean reference) {
            this(HEADS, DIM, t, AttentionSpec.causal(1 / Math.sqrt(DIM)), reference);
        }

        /** Random q, k, v and dOut of batch 1, `heads` heads × dim, t slots; spec as given. */
        Operands(int heads, int dim, int t, AttentionSpec spec, boolean reference) {
            this(heads, dim, t, spec, reference, false);
        }

        /**
         * The same with q, k and v laid out [1, t, heads, dim] and seen as [1, heads, t, dim]
         * (tokens = true: views of a layer's projection output, as a training step passes v) or
         * contiguous [1, heads, t, dim]. dOut and the results are contiguous either way (the
         * Backend contract).
         */
        Operands(int heads, int dim, int t, AttentionSpec spec, boolean reference, boolean tokens) {
            this.spec = spec;
            this.reference = reference;
            Generator g = new Generator(1);
            q = operand(g, heads, dim, t, tokens);
            k = operand(g, heads, dim, t, tokens);
            v = operand(g, heads, dim, t, tokens);
            gOut = Tensor.randn(g, 1, heads, t, dim);
            out = Tensor.empty(DType.F32, 1, heads, t, dim);
            lse = Tensor.empty(DType.F32, 1, heads, t);
            gq = Tensor.empty(DType.F32, 1, heads, t, dim);
            gk = Tensor.empty(DType.F32, 1, heads, t, dim);
            gv = Tensor.empty(DType.F32, 1, heads, t, dim);
        }

        private static Tensor operand(Generator g, int heads, int dim, int t, boolean tokens) {
            return tokens ? Tensor.randn(g, 1, t, heads, dim).transpose(1, 2) : Tensor.randn(g, 1, heads, t, dim);
        }

        void forward() {
            try (var _ = GradMode.noGrad()) {
                if (!reference) CpuBackend.INSTANCE.attention(q, k, v, spec, out, lse);
                else REF_FORWARD.invokeExact(q, k, v, spec, out, lse);
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }

        void backward() {
            try (var _ = GradMode.noGrad()) {
                if (!reference) CpuBackend.INSTANCE.attentionBackward(q, k, v, spec, out, lse, gOut, gq, gk, gv);
                else REF_BACKWARD.invokeExact(q, k, v, spec, out, lse, gOut, gq, gk, gv);
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }

        private static RuntimeException rethrow(Throwable e) {
            if (e instanceof RuntimeException r) return r;
            if (e instanceof Error err) throw err;
            return new IllegalStateException(e);
        }

        @Override public void close() {
            scope.close();
        }
    }

    /** One configuration outside JMH: times, peak native allocations, peak RSS. */
    public static void main(String[] args) throws Exception {
        if (args[0].equals("info")) {
            System.out.println(CpuBackend.INSTANCE.describe());
            return;
        }
        int t = Integer.parseInt(args[0]);
        boolean reference = args[1].equals("reference");
        boolean backward = args[2].equals("fwdbwd");
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        double[] ms = new double[runs];
        long peak, before = NativeMemory.liveBytes();
        NativeMemory.resetPeak();
        try (Operands x = new Operands(t, reference)) {
            for (int r = 0; r <= runs; r++) {
                long t0 = System.nanoTime();
                x.forward();
                if (backward) x.backward();
                double dt = (System.nanoTime() - t0) / 1e6;
                if (r > 0) ms[r - 1] = dt;      // run 0 warms up
                System.out.printf("java %s %s T=%d run %d%s: %.1f ms%n", args[1], args[2], t, r, r == 0 ? " (warm-up)" : "", dt);
            }
            peak = NativeMemory.peakBytes() - before;
        }
        Arrays.sort(ms);
        System.out.printf("RESULT java-%s %s %d %.1f %.1f native-peak-MiB %.1f rss-MiB %d%n", args[1], args[2], t, ms[0], ms[runs / 2],
                peak / 1048576.0, VqganBench.vmHwmMiB());
    }
}
