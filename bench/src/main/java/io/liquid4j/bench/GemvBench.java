package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.cpu.Gemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Decode-time matrix-vector product y[1,n] = x[1,k] · W[n,k]ᵀ (W in the nn.Linear layout), on
 * all CPU threads (or one, with {@code -jvmArgs -Dliquid4j.threads=1}). Successive invocations cycle
 * through enough distinct copies of W to cover {@code workingSetMiB} (256 MiB by default), so W
 * comes from DRAM as it does when decoding walks every layer's weights.
 * The score is microseconds per product: weight GB/s = n·k·bytes(type) / (score · 1e3).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx2g"})
public class GemvBench {
    /**
     * MiB of distinct W copies cycled through: 256 puts W in DRAM (a decode step); 0 keeps two
     * copies, which stay in L2/L3 for the small shapes and so measure the kernel's compute rate.
     */
    @Param({"256"})
    public int workingSetMiB;

    @Param({"BF16", "F32"})
    public String type;

    @Param({"4096", "8192", "16384"})
    public int n;

    @Param({"4096"})
    public int k;

    private Arena arena;
    private MemorySegment[] weights;
    private MemorySegment x, y;
    private DType dtype;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        dtype = DType.valueOf(type);
        arena = Arena.ofShared();
        long bytes = (long) n * k * dtype.byteSize();
        weights = new MemorySegment[(int) Math.max(2, (((long) workingSetMiB << 20) + bytes - 1) / bytes)];
        for (int i = 0; i < weights.length; i++) weights[i] = GemmBench.random(arena, (long) n * k, dtype, 10 + i);
        x = GemmBench.random(arena, k, DType.F32, 1);
        y = arena.allocate((long) n * Float.BYTES, 64);
    }

    @Benchmark
    public MemorySegment gemv() {
        MemorySegment w = weights[next];
        next = next + 1 == weights.length ? 0 : next + 1;
        Gemm.gemm(1, n, k, x, 0, k, false, w, 0, k, true, dtype, y, 0, n, false);
        return y;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
