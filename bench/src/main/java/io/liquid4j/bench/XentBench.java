package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
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
 * Forward + backward of the LM head fused with the loss (F.linearCrossEntropy, path=fused) vs
 * F.linear then F.crossEntropy (path=unfused), on all CPU threads: see {@link XentProblem}. The
 * score is seconds per training step (an iteration runs whole steps for at least 5 s). The
 * defaults (n 512, vocabulary 32768, hidden 2048) take well under a second per step on two
 * cores; the full Liquid shape (n 4096, vocabulary 264,192) runs through
 * bench/xent-bench.sh, which also measures peak memory and PyTorch:
 * {@code java -jar bench/target/benchmarks.jar XentBench -p n=4096 -p vocab=264192}
 * (one step then takes minutes, and the unfused path ~15 GB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx2g", "-XX:+UseParallelGC"})
public class XentBench {
    @Param({"fused", "unfused"})
    public String path;

    @Param({"512"})
    public int n;

    @Param({"32768"})
    public int vocab;

    @Param({"2048"})
    public int hidden;

    @Param({"F32"})
    public String weightType;

    @Param({"0"})
    public double zLoss;

    @Param({"0"})
    public double softcap;

    private XentProblem problem;

    @Setup(Level.Trial)
    public void setUp() {
        problem = new XentProblem(n, vocab, hidden, DType.valueOf(weightType), path, zLoss, softcap);
    }

    @Benchmark
    public double step() {
        return problem.step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        problem.close();
    }
}
