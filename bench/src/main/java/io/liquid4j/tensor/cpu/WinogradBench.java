package io.liquid4j.tensor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
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
 * The Winograd 3×3 inference convolution at the demo VQGAN's shapes (a batch of 64 images, as
 * `liquid prepare` encodes them), through {@link WinogradPlanes} ({@code planes}: several images
 * per GEMM, gathered tiles) or the band path ({@code bands}: a tile row at a time); all threads,
 * filters transformed once in the setup. In package io.liquid4j.tensor.cpu to reach both paths.
 * Score: µs per call (GFLOP/s of the direct convolution it replaces = 2·n·C·O·9·side² / (score·1e3)).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar WinogradBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class WinogradBench {
    /** images x channels in x channels out x side. */
    @Param({"64x64x64x8", "64x32x32x16", "64x16x16x32", "16x16x16x32", "16x64x64x32", "4x128x128x64"})
    public String shape;

    @Param({"planes", "bands"})
    public String path;

    private Arena arena;
    private MemorySegment x, out;
    private float[][] packedU;
    private float[] bias;
    private int n, c, o, side;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        n = Integer.parseInt(p[0]);
        c = Integer.parseInt(p[1]);
        o = Integer.parseInt(p[2]);
        side = Integer.parseInt(p[3]);
        arena = Arena.ofShared();
        x = gauss(arena, n * c * side * side, 1);
        MemorySegment w = gauss(arena, o * c * 9, 2);
        out = arena.allocate((long) n * o * side * side * Float.BYTES, 64);
        packedU = CpuConvWinograd.packedFilters(w, 0, o, c);
        bias = new float[o];
    }

    @Benchmark
    public MemorySegment forward() {
        long bandFloats = 512L << 10;
        if (path.equals("planes")) WinogradPlanes.forward(x, 0, n, c, side, side, 1, packedU, o, bias, out, 0, bandFloats);
        else CpuConvWinograd.bands(x, 0, n, c, side, side, 1, packedU, o, bias, out, 0, bandFloats);
        return out;
    }

    private static MemorySegment gauss(Arena arena, int count, long seed) {
        Random r = new Random(seed);
        MemorySegment m = arena.allocate((long) count * Float.BYTES, 64);
        for (int i = 0; i < count; i++) m.setAtIndex(Access.F, i, (float) r.nextGaussian());
        return m;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
