package io.liquid4j.bench;

import io.liquid4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The benchmarks every attention benchmark over one set of {@link AttentionBench.Operands} runs:
 * a forward, and a forward + backward. A subclass's setup makes {@link #x} (its shapes, spec and
 * implementation); JMH generates the benchmarks under each subclass's name and annotations.
 */
public abstract class AttentionOperandsBench {
    protected AttentionBench.Operands x;

    @Benchmark
    public Tensor forward() {
        x.forward();
        return x.out;
    }

    @Benchmark
    public Tensor forwardBackward() {
        x.forward();
        x.backward();
        return x.gq;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
    }
}
