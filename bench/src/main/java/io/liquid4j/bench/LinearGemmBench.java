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
 * The three GEMMs of a Linear layer's training step, F32 on all CPU threads, at the shape of the
 * demo LM's MLP (16 packed rows of 192 tokens, 128 → 384) by default:
 * <ul>
 *   <li>{@code forward}: Y[rows, out] = X[rows, in] · Wᵀ (W stored [out, in]: transposed B);</li>
 *   <li>{@code inputGrad}: dX[rows, in] = dY[rows, out] · W (plain B, packed along its panels);</li>
 *   <li>{@code weightGrad}: dW[out, in] = dYᵀ · X (transposed A over k = rows: its packing
 *       scatters each row of dY across the A panels);</li>
 *   <li>{@code weightGradXT}: the same sums as Xᵀ · dY = dWᵀ [in, out] (the operands' roles
 *       swapped): the order matmul's backward computes a Linear's weight gradient in (the
 *       transposed view then reaches .grad).</li>
 * </ul>
 * Unlike the square {@link GemmBench}, k or n is small here, so packing is a visible share of
 * each product. Score: µs per product; GFLOP/s = 2·rows·in·out / (score · 1e3).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class LinearGemmBench {
    @Param({"forward", "inputGrad", "weightGrad", "weightGradXT"})
    public String product;

    @Param({"3072"})
    public int rows;

    @Param({"128"})
    public int in;

    @Param({"384"})
    public int out;

    private Arena arena;
    private MemorySegment x, w, dy, result;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        x = GemmBench.random(arena, (long) rows * in, DType.F32, 1);
        w = GemmBench.random(arena, (long) out * in, DType.F32, 2);
        dy = GemmBench.random(arena, (long) rows * out, DType.F32, 3);
        result = arena.allocate((long) Math.max(rows, out) * Math.max(in, out) * Float.BYTES, 64);
    }

    @Benchmark
    public MemorySegment gemm() {
        switch (product) {
            case "forward" -> Gemm.gemm(rows, out, in, x, 0, in, false, w, 0, in, true, DType.F32, result, 0, out, false);
            case "inputGrad" -> Gemm.gemm(rows, in, out, dy, 0, out, false, w, 0, in, false, DType.F32, result, 0, in, false);
            case "weightGrad" -> Gemm.gemm(out, in, rows, dy, 0, out, true, x, 0, in, false, DType.F32, result, 0, in, false);
            case "weightGradXT" -> Gemm.gemm(in, out, rows, x, 0, in, true, dy, 0, out, false, DType.F32, result, 0, out, false);
            default -> throw new IllegalArgumentException("product must be forward, inputGrad, weightGrad or weightGradXT, got " + product);
        }
        return result;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
