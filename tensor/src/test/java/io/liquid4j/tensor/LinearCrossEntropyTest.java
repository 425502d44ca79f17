package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.cpu.CpuBackend;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * F.linearCrossEntropy (the LM head fused with the loss, chunked over rows) and the fused
 * F.crossEntropy: finite-difference gradient checks with z-loss, softcap and ignored rows, in one
 * chunk and across chunk boundaries; equality with the unfused composition
 * crossEntropy(softcap(linear(h, W))) for F32 and BF16 weights; gradient dtypes and subsets.
 */
class LinearCrossEntropyTest {
    private static final GradCheck GC = GradCheck.defaults();
    private static final Tensor TARGETS = Tensor.fromArray(new long[] {3, -100, 0, 10, 6, -100, 2}, 7);

    private static Tensor in(long seed, double lo, double hi, int... shape) {
        return Tensor.fromArray(uniform(seed, (int) Tensor.numel(shape), lo, hi), shape);
    }

    private static void check(java.util.function.Function<Tensor[], Tensor> f, Tensor... inputs) {
        try (var _ = TensorScope.open()) {
            GC.check(f, inputs);
        }
    }

    /** Runs body with liquid4j.xent.chunkBytes set so that chunks hold `rows` rows of vocabulary v. */
    private static <T> T withChunkRows(int rows, int v, Supplier<T> body) {
        String key = "liquid4j.xent.chunkBytes", old = System.getProperty(key);
        System.setProperty(key, Long.toString(4L * v * rows));
        try {
            return body.get();
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }

    /** The unfused composition, as a model without the fused op would write it. */
    private static Tensor unfused(Tensor h, Tensor w, Tensor t, int ignore, double z, double softcap) {
        Tensor logits = F.linear(h, w, null);
        if (softcap > 0) logits = logits.div(softcap).tanh().mul(softcap);
        return F.crossEntropy(logits, t, ignore, z);
    }

    @Test
    void gradCheckLinearCrossEntropy() {
        double[][] cases = {{0, 0}, {0.1, 0}, {0, 1.5}, {0.05, 2.0}};   // {zLoss, softcap}
        int k = 0;
        for (double[] c : cases) {
            double z = c[0], cap = c[1];
            check(x -> F.linearCrossEntropy(x[0], x[1], TARGETS, -100, z, cap), in(10 + k, -1, 1, 7, 5), in(20 + k, -1, 1, 11, 5));
            // 3 rows per chunk: 7 rows make chunks of 3, 3, 1
            withChunkRows(3, 11, () -> {
                check(x -> F.linearCrossEntropy(x[0], x[1], TARGETS, -100, z, cap), in(30, -1, 1, 7, 5), in(40, -1, 1, 11, 5));
                return null;
            });
            k++;
        }
        // a transposed (non-contiguous) hidden and weight; ignore index inside the vocabulary
        Tensor t = Tensor.fromArray(new int[] {1, 4, 4, 0}, 4);
        check(x -> F.linearCrossEntropy(x[0].t(), x[1].t(), t, 4, 0.01, 3), in(50, -1, 1, 6, 4), in(51, -1, 1, 6, 5));
    }

    @Test
    void gradCheckCrossEntropy() {
        check(x -> F.crossEntropy(x[0], TARGETS, -100, 0.1), in(60, -3, 3, 7, 11));
        check(x -> F.crossEntropy(x[0].mul(x[0]), TARGETS, -100, 0), in(61, -2, 2, 7, 11));
        // every row ignored: zero loss, zero gradient
        check(x -> F.crossEntropy(x[0], Tensor.fromArray(new long[] {5, 5}, 2), 5, 0.1).add(x[0].sum()), in(62, -1, 1, 2, 6));
    }

    @Test
    void matchesTheUnfusedCompositionAcrossChunks() {
        int n = 13, h = 24, v = 301;
        for (DType wt : new DType[] {DType.F32, DType.BF16}) {
            for (double[] c : new double[][] {{0, 0}, {1e-3, 0}, {1e-3, 4.0}}) {
                double z = c[0], cap = c[1];
                for (int rows : new int[] {1, 5, 13, 64}) {
                    try (var _ = TensorScope.open()) {
                        String what = wt + " z=" + z + " cap=" + cap + " rows/chunk=" + rows;
                        Tensor hid = in(70, -1, 1, n, h).mul(2).requiresGrad(true);
                        Tensor w = in(71, -1, 1, v, h).to(wt).requiresGrad(true);
                        Tensor hid2 = hid.detach().clone().requiresGrad(true), w2 = w.detach().clone().requiresGrad(true);
                        long[] tv = new long[n];
                        for (int i = 0; i < n; i++) tv[i] = (i * 37 + 5) % v;
                        tv[4] = -100;
                        tv[n - 1] = v - 1;
                        Tensor t = Tensor.fromArray(tv, n);
                        Tensor fused = withChunkRows(rows, v, () -> {
                            Tensor l = F.linearCrossEntropy(hid, w, t, -100, z, cap);
                            l.backward();
                            return l;
                        });
                        Tensor ref = unfused(hid2, w2, t, -100, z, cap);
                        ref.backward();
                        assertEquals(DType.F32, fused.dtype());
                        assertEquals(0, fused.dim());
                        assertEquals(ref.item(), fused.item(), 2e-5 * Math.max(1, Math.abs(ref.item())), what + ": loss");
                        assertEquals(wt, w.grad().dtype(), what + ": weight gradient dtype");
                        assertClose(what + ": grad hidden", hid2.grad().toFloatArray(), hid.grad().toFloatArray(), 2e-5);
                        assertClose(what + ": grad weight", w2.grad().toFloatArray(), w.grad().toFloatArray(), wt == DType.BF16 ? 8e-3 : 2e-5);
                    }
                }
            }
        }
    }

    @Test
    void leafWeightGradientAccumulatesAndTiedUsesAddUp() {
        // tied embeddings: one weight embeds the inputs and is the LM head; its gradient is the sum
        // of the engine's path (embedding) and the fused op's direct accumulation into .grad()
        int n = 5, h = 6, v = 13;
        Tensor ids = Tensor.fromArray(new long[] {1, 4, 4, 0, 12}, n), t = Tensor.fromArray(new long[] {4, 4, 0, 12, -100}, n);
        for (DType wt : new DType[] {DType.F32, DType.BF16}) {
            Tensor w = in(110, -1, 1, v, h).to(wt).requiresGrad(true);
            Tensor w2 = w.detach().clone().requiresGrad(true);
            java.util.function.Function<Tensor, Tensor> hiddenOf = x -> F.embedding(ids, x).to(DType.F32).mul(1.5).tanh();
            F.linearCrossEntropy(hiddenOf.apply(w), w, t, -100, 1e-3, 2.0).backward();
            unfused(hiddenOf.apply(w2), w2, t, -100, 1e-3, 2.0).backward();
            assertEquals(wt, w.grad().dtype());
            float[] once = w.grad().toFloatArray();
            assertClose(wt + ": tied weight gradient", w2.grad().toFloatArray(), once, wt == DType.BF16 ? 8e-3 : 2e-5);
            // a second backward adds to the existing gradient (F32: in place)
            F.linearCrossEntropy(hiddenOf.apply(w), w, t, -100, 1e-3, 2.0).backward();
            float[] twice = w.grad().toFloatArray();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], wt == DType.BF16 ? 0.02 * Math.abs(once[i]) + 1e-3 : 1e-6, wt + "[" + i + "]");
        }
    }

    @Test
    void chunkedReferenceGivesTheSameRowsForAnyChunkSize() {
        int n = 10, h = 8, v = 57;
        Tensor hid = in(80, -1, 1, n, h), w = in(81, -1, 1, v, h);
        Tensor t = Tensor.fromArray(new long[] {0, 1, 56, -1, 4, 5, 6, 7, 8, 9}, n);
        float[] wantLoss = null, wantLse = null;
        for (int rows : new int[] {n, 1, 3, 4, 100}) {
            Tensor loss = Tensor.empty(DType.F32, n), lse = Tensor.empty(DType.F32, n);
            LinearCrossEntropyChunked.forward(CpuBackend.INSTANCE, hid, w, t, -1, 0.01, 2.5, loss, lse, rows);
            if (wantLoss == null) {
                wantLoss = loss.toFloatArray();
                wantLse = lse.toFloatArray();
                assertEquals(0f, wantLoss[3], "ignored row");
            } else {
                assertClose("loss, rows/chunk " + rows, wantLoss, loss.toFloatArray(), 1e-6);
                assertClose("lse, rows/chunk " + rows, wantLse, lse.toFloatArray(), 1e-6);
            }
        }
    }

    /**
     * The 16-bit path (hidden in the weight's BF16, GEMMs through matmulLowPrecision: CUDA's route
     * for BF16 training), here on the CPU's composed default: the forward equals the F32 path on the
     * same (exactly widened) values; the backward differs only by the dlogits rounded to BF16.
     */
    @Test
    void sixteenBitOperandsMatchTheF32PathWithinDlogitsRounding() {
        int n = 9, h = 16, v = 40;
        Tensor hid = in(82, -1, 1, n, h).to(DType.BF16), w = in(83, -1, 1, v, h).to(DType.BF16);
        Tensor hid32 = hid.to(DType.F32);
        Tensor t = Tensor.fromArray(new long[] {0, 39, 5, -1, 4, 7, 2, 11, 30}, n);
        for (double cap : new double[] {0, 2.5}) {
            Tensor[] loss = new Tensor[2], lse = new Tensor[2], gh = new Tensor[2], gw = new Tensor[2];
            Tensor gLoss = Tensor.full(0.5, DType.F32, n);
            int k = 0;
            for (Tensor x : new Tensor[] {hid32, hid}) {
                loss[k] = Tensor.empty(DType.F32, n);
                lse[k] = Tensor.empty(DType.F32, n);
                gh[k] = Tensor.empty(DType.F32, n, h);
                gw[k] = Tensor.zeros(DType.F32, Device.CPU, v, h);
                LinearCrossEntropyChunked.forward(CpuBackend.INSTANCE, x, w, t, -1, 1e-3, cap, loss[k], lse[k], 4);
                LinearCrossEntropyChunked.backward(CpuBackend.INSTANCE, x, w, t, -1, 1e-3, cap, lse[k], gLoss, gh[k], gw[k], 4);
                k++;
            }
            assertClose("loss cap " + cap, loss[0].toFloatArray(), loss[1].toFloatArray(), 1e-6);
            assertClose("lse cap " + cap, lse[0].toFloatArray(), lse[1].toFloatArray(), 1e-6);
            assertClose("grad hidden cap " + cap, gh[0].toFloatArray(), gh[1].toFloatArray(), 1e-2);
            assertClose("grad weight cap " + cap, gw[0].toFloatArray(), gw[1].toFloatArray(), 1e-2);
            assertTrue(!java.util.Arrays.equals(gw[0].toFloatArray(), gw[1].toFloatArray()), "the 16-bit backward really rounded dlogits");
        }
        Tensor l16 = Tensor.empty(DType.F32, n), s16 = Tensor.empty(DType.F32, n);
        assertThrows(IllegalArgumentException.class, () -> LinearCrossEntropyChunked.forward(CpuBackend.INSTANCE, hid.to(DType.F16), w, t, -1, 0, 0, l16, s16, 4),
                "F16 hidden with a BF16 weight");
    }

    @Test
    void rowsPerChunkFollowsTheBudget() {
        assertEquals(504, LinearCrossEntropyChunked.rowsPerChunk(4096, 264_192), "512 MiB of F32 logits at V = 264,192, whole 8-row tiles");
        assertEquals(10, LinearCrossEntropyChunked.rowsPerChunk(10, 264_192), "never more rows than there are");
        assertEquals(3, withChunkRows(3, 1000, () -> LinearCrossEntropyChunked.rowsPerChunk(100, 1000)));
        assertEquals(1, withChunkRows(0, 1000, () -> LinearCrossEntropyChunked.rowsPerChunk(100, 1000)), "at least one row");
    }

    @Test
    void gradientSubsetsAndNoGrad() {
        int n = 5, h = 6, v = 9;
        Tensor t = Tensor.fromArray(new long[] {0, 8, 3, -100, 1}, n);
        Tensor hid = in(90, -1, 1, n, h), w = in(91, -1, 1, v, h).requiresGrad(true);
        F.linearCrossEntropy(hid, w, t, -100, 0, 0).backward();
        assertNull(hid.grad());
        assertEquals(v * h, w.grad().numel());
        Tensor hid2 = in(92, -1, 1, n, h).to(DType.BF16).requiresGrad(true), w2 = in(93, -1, 1, v, h).to(DType.BF16);
        F.linearCrossEntropy(hid2, w2, t, -100, 0, 0).backward();
        assertEquals(DType.BF16, hid2.grad().dtype());
        assertNull(w2.grad());
        try (var _ = GradMode.noGrad()) {
            Tensor l = F.linearCrossEntropy(hid, w, t, -100, 1e-4, 30);
            assertTrue(!l.requiresGrad() && Double.isFinite(l.item()));
        }
        // all rows ignored: 0, not NaN
        assertEquals(0, F.linearCrossEntropy(hid, w, Tensor.fromArray(new long[] {-1, -1, -1, -1, -1}, n), -1, 0.1, 0).item());
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor hid = in(100, -1, 1, 4, 3), w = in(101, -1, 1, 7, 3), t = Tensor.fromArray(new long[] {0, 1, 2, 3}, 4);
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w.t(), t, -100, 0, 0), "weight [H, V]");
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid.reshape(12), w, t, -100, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w, t.narrow(0, 0, 3), -100, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w, t.to(DType.F32), -100, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w, t, -100, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w, t, -100, 0, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid, w, t, -100, -0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(hid.to(DType.I64), w, t, -100, 0, 0));
    }

    private static void assertClose(String what, float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (float x : want) scale = Math.max(scale, Math.abs(x));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol * Math.max(1, scale), what + "[" + i + "]");
    }
}
