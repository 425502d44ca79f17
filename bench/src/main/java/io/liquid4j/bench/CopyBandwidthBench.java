package io.liquid4j.bench;

import io.liquid4j.tensor.cpu.CpuThreads;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory-bandwidth yardsticks for {@link GemvBench}: MemorySegment.copy of a 256 MiB native
 * buffer, on one thread and split across the CpuThreads pool (bandwidth = bytes read + written
 * = 2 · 256 MiB / score), and, since GEMV only reads, a read-only pass: MemorySegment.mismatch
 * of two equal 256 MiB buffers split across the pool (bytes read = 2 · 256 MiB / score).
 * Scores are milliseconds per pass.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CopyBandwidthBench {
    static final long BYTES = 256L << 20;
    /** Chunks handed to the pool; contiguous ranges of them go to each thread. */
    private static final int CHUNKS = 256;

    private Arena arena;
    private MemorySegment src, dst;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        src = arena.allocate(BYTES, 4096);
        dst = arena.allocate(BYTES, 4096);
        src.fill((byte) 1);
        dst.fill((byte) 1);
    }

    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(src, 0, dst, 0, BYTES);
        return dst;
    }

    @Benchmark
    public MemorySegment copyAllThreads() {
        long chunk = BYTES / CHUNKS;
        CpuThreads.parallelFor(CHUNKS, 1, (start, end) ->
                MemorySegment.copy(src, start * chunk, dst, start * chunk, (end - start) * chunk));
        return dst;
    }

    @Benchmark
    public long readAllThreads() {
        long chunk = BYTES / CHUNKS;
        long[] mismatches = new long[CHUNKS];
        CpuThreads.parallelFor(CHUNKS, 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                mismatches[i] = MemorySegment.mismatch(src, i * chunk, (i + 1) * chunk, dst, i * chunk, (i + 1) * chunk);
            }
        });
        long sum = 0;
        for (long m : mismatches) sum += m;
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
