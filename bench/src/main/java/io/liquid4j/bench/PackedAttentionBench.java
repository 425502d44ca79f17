package io.liquid4j.bench;

import io.liquid4j.tensor.AttentionSpec;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The attention of `liquid demo`'s multimodal training step: one layer of the packed batch, 4
 * heads × 32, its rows' real tokens laid end to end as one row of ~2650 slots, each document
 * (a ~85-token text-to-image or captioning sequence, or a text document of 20–190 tokens)
 * seeing only its own earlier tokens (causal + segment ids). Scores: milliseconds per forward,
 * and per forward + backward, of CpuBackend.attention / attentionBackward on all threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class PackedAttentionBench extends AttentionOperandsBench {
    static final int HEADS = 4, DIM = 32, SLOTS = 2656;

    /** Typical document length of the packed row. */
    @Param({"85"})
    public int doc;

    /** heads: contiguous [1, H, L, D] q, k, v; tokens: q, k, v [1, L, H, D] seen as [1, H, L, D] (a training step's v is such a view). */
    @Param({"heads", "tokens"})
    public String layout;

    @Setup(Level.Trial)
    public void setUp() {
        AttentionSpec causal = AttentionSpec.causal(1 / Math.sqrt(DIM));
        x = new AttentionBench.Operands(HEADS, DIM, SLOTS, doc == 0 ? causal : causal.withSegments(new int[][] {segments(SLOTS, doc)}), false,
                layout.equals("tokens"));
    }

    /** Segment ids of one packed row: mostly documents of about `doc` tokens, every fourth a text document of 20–190. */
    static int[] segments(int slots, int doc) {
        SplittableRandom rng = new SplittableRandom(7);
        int[] ids = new int[slots];
        int at = 0, id = 0;
        while (at < slots) {
            int n = id % 4 == 3 ? 20 + rng.nextInt(171) : doc - 6 + rng.nextInt(13);
            for (int j = at; j < Math.min(slots, at + n); j++) ids[j] = id;
            at += n;
            id++;
        }
        return ids;
    }
}
