package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.cpu.Gemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * Square GEMM C = A·B on all CPU threads. The score is milliseconds per product, so
 * GFLOP/s = 2·size³ / (score · 1e6); bench/compare-cpu.sh prints it next to numpy's.
 * By default B is F32 and not transposed (SGEMM, comparable with numpy's float32 matmul);
 * -p bType=BF16 -p transB=true measures the nn.Linear layout with 16-bit weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class GemmBench {
    @Param({"1024", "2048", "4096"})
    public int size;

    @Param({"F32"})
    public String bType;

    @Param({"false"})
    public boolean transB;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Arena arena;
    private MemorySegment a, b, c;
    private DType type;

    @Setup(Level.Trial)
    public void setUp() {
        type = DType.valueOf(bType);
        long elements = (long) size * size;
        arena = Arena.ofShared();
        a = random(arena, elements, DType.F32, 1);
        b = random(arena, elements, type, 2);
        c = arena.allocate(elements * Float.BYTES, 64);
    }

    @Benchmark
    public MemorySegment gemm() {
        Gemm.gemm(size, size, size, a, 0, size, false, b, 0, size, transB, type, c, 0, size, false);
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** A 64-byte-aligned little-endian array of cheap pseudo-random values in [-1, 1). */
    static MemorySegment random(Arena arena, long elements, DType type, long seed) {
        MemorySegment s = arena.allocate(elements * type.byteSize(), 64);
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        for (long i = 0; i < elements; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            float v = (state >>> 40) * 0x1p-23f - 1f;
            switch (type) {
                case F32 -> s.setAtIndex(F32_LE, i, v);
                case BF16 -> s.setAtIndex(I16_LE, i, DType.floatToBf16(v));
                case F16 -> s.setAtIndex(I16_LE, i, DType.floatToF16(v));
                default -> throw new IllegalArgumentException("no random fill for " + type);
            }
        }
        return s;
    }
}
