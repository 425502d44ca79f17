package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/**
 * The memory claim of the attention kernels: forward and backward at T = 4096 hold O(T·D), far
 * below one T×T f32 matrix (64 MiB), in both places memory can go: tensors (native memory,
 * {@link NativeMemory}'s peak through {@link F#attention}) and the kernels' own heap tiles (every
 * array they allocate is counted, {@link AttentionCall#scratchBytes}), which grow linearly in T.
 */
class CpuAttentionMemoryTest {
    private static final int T = 4096, D = 64;
    private static final long SQUARE = (long) T * T * Float.BYTES;

    @Test
    void tensorsOfForwardAndBackwardStayFarBelowTxT() {
        Generator g = new Generator(7);
        try (var _ = TensorScope.open()) {
            Tensor q = Tensor.randn(g, 1, 1, T, D).requiresGrad(true), k = Tensor.randn(g, 1, 1, T, D).requiresGrad(true);
            Tensor v = Tensor.randn(g, 1, 1, T, D).requiresGrad(true), gOut = Tensor.randn(g, 1, 1, T, D);
            long inputs = NativeMemory.liveBytes();
            NativeMemory.resetPeak();
            try (var _ = TensorScope.open()) {
                F.attention(q, k, v, AttentionSpec.causal(0.125)).mul(gOut).sum().backward();
            }
            long peak = NativeMemory.peakBytes() - inputs;
            // out, lse, out·gOut and its gradient, dq, dk, dv: ~8 tensors of T·D floats (~8 MiB)
            assertTrue(peak < SQUARE / 4, "native peak " + peak + " bytes above the inputs; a T×T f32 matrix is " + SQUARE);
            assertTrue(q.grad() != null && k.grad() != null && v.grad() != null);

            // the accounting does see a T×T product (at T/4 to stay small): the bound above is not vacuous
            long before = NativeMemory.liveBytes();
            NativeMemory.resetPeak();
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                q.narrow(2, 0, T / 4).matmul(k.narrow(2, 0, T / 4).transpose(-1, -2));
            }
            assertTrue(NativeMemory.peakBytes() - before >= SQUARE / 16, "a (T/4)² product should show: " + (NativeMemory.peakBytes() - before));
        }
    }

    @Test
    void kernelScratchIsLinearInT() {
        long atT = scratch(T), atHalf = scratch(T / 2);
        assertTrue(atT < SQUARE / 32, "attention kernels allocated " + atT + " bytes of heap at T = " + T + "; a T×T f32 matrix is " + SQUARE);
        // per-thread tiles are constant, the per-row vectors (lse, D, visibility intervals) linear
        assertTrue(atT <= 2 * atHalf, "scratch grows faster than T: " + atHalf + " bytes at T/2, " + atT + " at T");
    }

    /** Heap bytes of one forward + backward at length t (causal, with segments to include their intervals). */
    private static long scratch(int t) {
        Generator g = new Generator(8);
        int[][] seg = new int[1][t];
        for (int j = 0; j < t; j++) seg[0][j] = j / 1000;
        AttentionSpec spec = AttentionSpec.causal(0.125).withSegments(seg);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor q = Tensor.randn(g, 1, 1, t, D), k = Tensor.randn(g, 1, 1, t, D), v = Tensor.randn(g, 1, 1, t, D);
            Tensor out = Tensor.empty(DType.F32, 1, 1, t, D), lse = Tensor.empty(DType.F32, 1, 1, t);
            Tensor gq = Tensor.empty(DType.F32, 1, 1, t, D), gk = Tensor.empty(DType.F32, 1, 1, t, D), gv = Tensor.empty(DType.F32, 1, 1, t, D);
            return CpuAttention.forward(q, k, v, spec, out, lse)
                    + CpuAttention.backward(q, k, v, spec, out, lse, Tensor.randn(g, 1, 1, t, D), gq, gk, gv);
        }
    }
}
