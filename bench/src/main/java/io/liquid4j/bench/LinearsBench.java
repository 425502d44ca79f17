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
 * A decode step's projections of one input, as the 110M-shape Llama of DecodeBench has them:
 * {@code layer=qkv} three [768, 768] weights, {@code layer=gateUp} two [2048, 768], x one row.
 * {@code separate} runs one F.linear per weight (one parallel job each); {@code together} one
 * F.linears (one job over all the weights). Cycles through enough copies of the weights to cover
 * 256 MiB, so they come from DRAM as in a decode step. Score: microseconds per set of products.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar LinearsBench [-p format=Q8_0]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class LinearsBench {
    private static final long WORKING_SET_BYTES = 256L << 20;
    private static final int K = 768;

    @Param({"BF16", "Q8_0"})
    public String format;

    @Param({"qkv", "gateUp"})
    public String layer;

    private Tensor[][] plain;
    private QuantizedWeight[][] quantized;
    private Tensor x;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        int[] rows = switch (layer) {
            case "qkv" -> new int[] {K, K, K};
            case "gateUp" -> new int[] {2048, 2048};
            default -> throw new IllegalArgumentException("layer must be qkv or gateUp, got " + layer);
        };
        boolean plainFormat = !format.startsWith("Q");
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Generator g = new Generator(10);
            long bytes = 0;
            Tensor[] w = new Tensor[rows.length];
            QuantizedWeight[] q = new QuantizedWeight[rows.length];
            for (int i = 0; i < rows.length; i++) {
                w[i] = Tensor.randn(g, DType.F32, io.liquid4j.tensor.Device.CPU, rows[i], K).mul(0.02);
                if (!plainFormat) q[i] = QuantizedWeight.quantize(w[i], QuantFormat.valueOf(format));
                bytes += plainFormat ? DType.valueOf(format).byteSize() * (long) rows[i] * K : q[i].byteSize();
            }
            int copies = (int) Math.max(2, (WORKING_SET_BYTES + bytes - 1) / bytes);
            plain = new Tensor[copies][rows.length];
            quantized = new QuantizedWeight[copies][rows.length];
            for (int c = 0; c < copies; c++) {
                for (int i = 0; i < rows.length; i++) {
                    if (plainFormat) plain[c][i] = w[i].to(DType.valueOf(format)).clone().unscoped();
                    else quantized[c][i] = new QuantizedWeight(q[i].format(), q[i].codes().clone().unscoped(), q[i].scales().clone().unscoped(), rows[i], K);
                }
            }
            x = Tensor.randn(new Generator(1), 1, K).unscoped();
        }
    }

    private int nextCopy() {
        int i = next;
        next = next + 1 == plain.length ? 0 : next + 1;
        return i;
    }

    @Benchmark
    public double separate() {
        int c = nextCopy();
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            double sum = 0;
            for (int i = 0; i < plain[c].length; i++) {
                Tensor y = plain[c][0] != null ? F.linear(x, plain[c][i], null) : F.linear(x, quantized[c][i], null);
                sum += y.narrow(1, 0, 1).item();
            }
            return sum;
        }
    }

    @Benchmark
    public double together() {
        int c = nextCopy();
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor[] y = plain[c][0] != null ? F.linears(x, plain[c]) : F.linears(x, quantized[c]);
            double sum = 0;
            for (Tensor t : y) sum += t.narrow(1, 0, 1).item();
            return sum;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor[] set : plain) for (Tensor t : set) if (t != null) t.close();
        for (QuantizedWeight[] set : quantized) {
            for (QuantizedWeight q : set) {
                if (q != null) {
                    q.codes().close();
                    q.scales().close();
                }
            }
        }
        x.close();
    }
}
