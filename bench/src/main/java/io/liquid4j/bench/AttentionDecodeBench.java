package io.liquid4j.bench;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode step's attention in one layer, as {@code Attention.forward} calls it with a KV
 * cache: a single query of 12 heads × 64 (the transposed [B, L, H, D] view) over the first
 * {@code context} + 1 positions of a cache of 4097, cache and query in {@code kv} (a BF16 model
 * attends in BF16), the cache in the CPU's caches or ({@code cold}) from DRAM. The CPU takes its
 * decode kernel (AttentionDecode). Score: microseconds per call.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar AttentionDecodeBench [-p context=1024 -p kv=BF16 -p cold=true]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class AttentionDecodeBench {
    static final int HEADS = 12, DIM = 64, CAPACITY = 4097;

    @Param({"144", "1024", "4096"})
    public int context;

    @Param({"BF16", "F32"})
    public String kv;

    /**
     * true: before each call (untimed) 64 MiB are read, so the cache comes from DRAM as in a decode
     * step, where the layer's weights pass through the caches between two attentions. A spinning
     * worker thread parks meanwhile, so cold calls also pay its wake-up: compare cold runs with
     * cold runs, or run them with -Dliquid4j.threads=1.
     */
    @Param({"false"})
    public boolean cold;

    private long[] evict;
    private long evicted;

    private TensorScope scope;
    private Tensor q, keys, values;
    private AttentionSpec spec;

    @Setup(Level.Trial)
    public void setUp() {
        if (context < 0 || context >= CAPACITY) throw new IllegalArgumentException("context must be in [0, " + (CAPACITY - 1) + "], got " + context);
        scope = TensorScope.open();
        DType type = DType.valueOf(kv);
        Generator g = new Generator(1);
        Tensor cacheK = Tensor.randn(g, 1, HEADS, CAPACITY, DIM).to(type), cacheV = Tensor.randn(g, 1, HEADS, CAPACITY, DIM).to(type);
        q = Tensor.randn(g, 1, 1, HEADS, DIM).to(type).transpose(1, 2);
        keys = cacheK.narrow(2, 0, context + 1);
        values = cacheV.narrow(2, 0, context + 1);
        spec = AttentionSpec.causal(1 / Math.sqrt(DIM)).withQueryOffset(context);
    }

    @Setup(Level.Invocation)
    public void evictCaches() {
        if (!cold) return;
        if (evict == null) evict = new long[8 << 20];
        long x = 0;
        for (int i = 0; i < evict.length; i += 8) x += evict[i];   // one long per 64-byte line
        evicted += x;
    }

    @Benchmark
    public double step() {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            return F.attention(q, keys, values, spec).narrow(1, 0, 1).narrow(3, 0, 1).item();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }
}
