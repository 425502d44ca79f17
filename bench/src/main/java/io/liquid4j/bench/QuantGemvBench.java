package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode-time y = x·Wᵀ through the public op, F.linear, for W [n, k] stored BF16 (or F16, F32:
 * {@code -p format=F16}) or quantized Q8_0 / Q4_0 (QuantizedWeight, decoded in registers by the CPU's QuantGemv), x [m, k] (m = 1, or
 * the few rows of a batched or CFG decode). Cycles
 * through enough copies of W to cover 256 MiB, so W comes from DRAM as in a decode step. Score:
 * microseconds per product; weight GB/s = bytes of W (codes + scales for the quantized ones) /
 * (score · 1e3).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar QuantGemvBench [-p format=Q8_0]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class QuantGemvBench {
    private static final long WORKING_SET_BYTES = 256L << 20;

    @Param({"BF16", "Q8_0", "Q4_0"})
    public String format;

    @Param({"4096", "16384"})
    public int n;

    @Param({"4096"})
    public int k;

    /** Rows of x (decode of 1; CFG decodes 2 rows). */
    @Param({"1"})
    public int m;

    private Tensor[] plain;
    private QuantizedWeight[] quantized;
    private Tensor x;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor w = Tensor.randn(new Generator(10), DType.F32, io.liquid4j.tensor.Device.CPU, n, k).mul(0.02);
            boolean plainFormat = format.equals("BF16") || format.equals("F16") || format.equals("F32");
            QuantizedWeight q = plainFormat ? null : QuantizedWeight.quantize(w, QuantFormat.valueOf(format));
            long bytes = plainFormat ? DType.valueOf(format).byteSize() * (long) n * k : q.byteSize();
            int copies = (int) Math.max(2, (WORKING_SET_BYTES + bytes - 1) / bytes);
            plain = new Tensor[copies];
            quantized = new QuantizedWeight[copies];
            for (int i = 0; i < copies; i++) {
                if (plainFormat) plain[i] = w.to(DType.valueOf(format)).clone().unscoped();
                else quantized[i] = new QuantizedWeight(q.format(), q.codes().clone().unscoped(), q.scales().clone().unscoped(), n, k);
            }
            x = Tensor.randn(new Generator(1), m, k).unscoped();
        }
    }

    @Benchmark
    public double linear() {
        int i = next;
        next = next + 1 == (plain[0] != null ? plain.length : quantized.length) ? 0 : next + 1;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor y = plain[0] != null ? F.linear(x, plain[i], null) : F.linear(x, quantized[i], null);
            return y.narrow(0, 0, 1).narrow(1, 0, 1).item();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : plain) if (t != null) t.close();
        for (QuantizedWeight q : quantized) {
            if (q != null) {
                q.codes().close();
                q.scales().close();
            }
        }
        x.close();
    }
}
