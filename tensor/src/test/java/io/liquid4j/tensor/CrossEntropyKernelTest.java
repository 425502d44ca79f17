package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CPU cross-entropy kernels (cpu/CpuCrossEntropy) against their composed reference
 * ({@link CrossEntropyReference}), which a backend without kernels inherits: per-row loss and
 * lse, and the gradient, for F32/BF16 logits and gradients, in place, with ignored rows, z-loss,
 * scalar and per-row upstream gradients, rows longer than one online-logsumexp block, and
 * non-finite logits. Also the error for an out-of-range target id.
 */
class CrossEntropyKernelTest {
    private static final Backend CPU = CpuBackend.INSTANCE;

    /** Logits whose per-row offsets grow along the row, so the online max moves block after block. */
    private static Tensor logits(long seed, int n, int v, double spread, boolean rising) {
        float[] x = uniform(seed, n * v, -spread, spread);
        if (rising) for (int r = 0; r < n; r++) for (int j = 0; j < v; j++) x[r * v + j] += (float) (8.0 * j / v);
        return Tensor.fromArray(x, n, v);
    }

    private static Tensor targets(long seed, int n, int v, long ignore, int... ignoredRows) {
        Random r = new Random(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(v);
        t[n - 1] = v - 1;   // the last logit of a row (the scalar tail of the vector loops)
        for (int i : ignoredRows) t[i] = ignore;
        return Tensor.fromArray(t, n);
    }

    private record Rows(float[] loss, float[] lse) {}

    private static Rows forward(Backend be, Tensor x, Tensor t, long ignore, double z) {
        int n = x.size(0);
        Tensor loss = Tensor.empty(DType.F32, n), lse = Tensor.empty(DType.F32, n);
        if (be == null) CrossEntropyReference.forward(CPU, x, t, ignore, z, loss, lse);
        else be.crossEntropy(x, t, ignore, z, loss, lse);
        return new Rows(loss.toFloatArray(), lse.toFloatArray());
    }

    private static float[] backward(Backend be, Tensor x, Tensor t, long ignore, double z, Tensor lse, Tensor g, DType gradType) {
        Tensor grad = Tensor.empty(gradType, x.shape());
        if (be == null) CrossEntropyReference.backward(CPU, x, t, ignore, z, lse, g, grad);
        else be.crossEntropyBackward(x, t, ignore, z, lse, g, grad);
        return grad.toFloatArray();
    }

    private static void assertClose(String what, float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what + ": length");
        double scale = 0;
        for (float w : want) if (Float.isFinite(w)) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i])) {
                assertTrue(Float.isNaN(got[i]), what + "[" + i + "]: want NaN, got " + got[i]);
                continue;
            }
            assertEquals(want[i], got[i], tol * Math.max(1, scale), what + "[" + i + "]");
        }
    }

    @Test
    void kernelMatchesReference() {
        int[][] shapes = {{7, 37}, {5, 2048}, {4, 5000}, {3, 20_011}, {1, 1}, {6, 15}};
        int k = 0;
        for (int[] s : shapes) {
            int n = s[0], v = s[1];
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (double z : new double[] {0, 1e-4, 0.1}) {
                    try (var _ = TensorScope.open()) {
                        String what = "[" + n + ", " + v + "] " + dt + " z=" + z;
                        Tensor x = logits(k++, n, v, 4, v > 1000).to(dt);
                        Tensor t = n > 2 ? targets(k, n, v, -100, 1) : targets(k, n, v, -100);
                        Rows want = forward(null, x, t, -100, z), got = forward(CPU, x, t, -100, z);
                        assertClose(what + " lse", want.lse(), got.lse(), 2e-6);
                        assertClose(what + " loss", want.loss(), got.loss(), 2e-6);
                        Tensor lse = Tensor.fromArray(got.lse(), n);
                        Tensor gScalar = Tensor.fromArray(new float[] {0.37f}, 1);
                        Tensor gRows = Tensor.fromArray(uniform(k, n, -2, 2), n);
                        for (Tensor g : new Tensor[] {gScalar, gRows}) {
                            for (DType gt : new DType[] {DType.F32, DType.BF16}) {
                                float[] gw = backward(null, x, t, -100, z, lse, g, gt), gg = backward(CPU, x, t, -100, z, lse, g, gt);
                                // bf16 gradients: both round the same f32 value, up to one bf16 ulp apart where exp differs in the last bit
                                assertClose(what + " grad " + gt + " g[" + g.numel() + "]", gw, gg, gt == DType.BF16 ? 8e-3 : 2e-6);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void backwardInPlaceOverTheLogits() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            int n = 4, v = 3001;
            Tensor x = logits(50, n, v, 3, true).to(dt);
            Tensor t = targets(51, n, v, 7, 2);
            Rows rows = forward(CPU, x, t, 7, 1e-3);
            Tensor lse = Tensor.fromArray(rows.lse(), n), g = Tensor.fromArray(new float[] {1.5f}, 1);
            float[] want = backward(CPU, x, t, 7, 1e-3, lse, g, dt);
            Tensor inPlace = x.clone();
            CPU.crossEntropyBackward(inPlace, t, 7, 1e-3, lse, g, inPlace);
            assertArrayEquals(want, inPlace.toFloatArray(), dt + ": grad written over the logits must equal a separate grad");
        }
    }

    @Test
    void gradientRowsSumToZeroAndIgnoredRowsAreZero() {
        // Σ_j softmax_j − 1 = 0 without z-loss: a check independent of the reference
        int n = 3, v = 4099;
        Tensor x = logits(60, n, v, 5, true);
        Tensor t = targets(61, n, v, -1, 1);
        Rows rows = forward(CPU, x, t, -1, 0);
        float[] grad = backward(CPU, x, t, -1, 0, Tensor.fromArray(rows.lse(), n), Tensor.fromArray(new float[] {1}, 1), DType.F32);
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int j = 0; j < v; j++) s += grad[r * v + j];
            assertEquals(0, s, 1e-5, "row " + r);
        }
        for (int j = 0; j < v; j++) assertEquals(0f, grad[v + j], "ignored row");
        assertEquals(0f, rows.loss()[1]);
        // lse is still written for the ignored row
        float[] xv = x.toFloatArray();
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (int j = 0; j < v; j++) m = Math.max(m, xv[v + j]);
        for (int j = 0; j < v; j++) s += Math.exp(xv[v + j] - m);
        assertEquals(m + Math.log(s), rows.lse()[1], 1e-5);
    }

    @Test
    void nonFiniteLogits() {
        float inf = Float.POSITIVE_INFINITY;
        int v = 2100;   // past one 2048-element block of the CPU kernel: a −inf first block, then finite values
        float[] x = new float[3 * v];
        for (int j = 0; j < v; j++) {
            x[j] = j < 2048 ? -inf : (float) Math.sin(j);   // row 0: −inf then finite
            x[v + j] = j == 1000 ? Float.NaN : 0.5f;                 // row 1: one NaN
            x[2 * v + j] = j == 7 ? 1e30f : -1e30f;                  // row 2: huge but finite
        }
        Tensor t = Tensor.fromArray(new long[] {2099, 3, 7}, 3);
        Tensor xs = Tensor.fromArray(x, 3, v);
        Rows want = forward(null, xs, t, -100, 0), got = forward(CPU, xs, t, -100, 0);
        assertClose("lse", want.lse(), got.lse(), 1e-6);
        assertClose("loss", want.loss(), got.loss(), 1e-6);
        assertTrue(Float.isNaN(got.lse()[1]) && Float.isNaN(got.loss()[1]), "a NaN logit makes its row NaN");
        assertEquals(1e30f, got.lse()[2], 1e24f);
        assertEquals(0, got.loss()[2], 1e-6);
    }

    @Test
    void outOfRangeTargetNamesTheIdAndTheRow() {
        Tensor x = logits(70, 6, 11, 2, false);
        var e = assertThrows(IllegalArgumentException.class,
                () -> F.crossEntropy(x, Tensor.fromArray(new long[] {0, 1, 2, 3, 4, 11}, 6), -100, 0));
        assertTrue(e.getMessage().contains("target id 11") && e.getMessage().contains("row 5") && e.getMessage().contains("[0, 11)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> F.crossEntropy(x.to(DType.BF16), Tensor.fromArray(new int[] {0, -3, 2, 3, 4, 5}, 6), -100, 0));
        assertTrue(e.getMessage().contains("target id -3") && e.getMessage().contains("row 1"), e.getMessage());
        // the ignore index itself is fine even though it is out of range
        assertTrue(Double.isFinite(F.crossEntropy(x, Tensor.fromArray(new long[] {0, -100, 2, 3, 4, 10}, 6), -100, 0).item()));
        Tensor h = logits(71, 6, 4, 1, false), w = logits(72, 11, 4, 1, false);
        e = assertThrows(IllegalArgumentException.class,
                () -> F.linearCrossEntropy(h, w, Tensor.fromArray(new long[] {0, 1, 12, 3, 4, 5}, 6), -100, 0, 0));
        assertTrue(e.getMessage().contains("target id 12") && e.getMessage().contains("row 2"), e.getMessage());
    }

    @Test
    void referenceMarksOutOfRangeRowsNaNWithoutSyncing() {
        // the no-sync contract (CUDA and any backend inheriting the reference): NaN rows, no exception
        int n = 3, v = 9;
        Tensor x = logits(80, n, v, 2, false);
        Tensor t = Tensor.fromArray(new long[] {1, 9, -100}, n);
        Rows rows = forward(null, x, t, -100, 1e-3);
        assertTrue(Float.isFinite(rows.loss()[0]));
        assertTrue(Float.isNaN(rows.loss()[1]));
        assertEquals(0f, rows.loss()[2]);
        float[] grad = backward(null, x, t, -100, 1e-3, Tensor.fromArray(rows.lse(), n), Tensor.fromArray(new float[] {1}, 1), DType.F32);
        for (int j = 0; j < v; j++) {
            assertTrue(Float.isFinite(grad[j]));
            assertTrue(Float.isNaN(grad[v + j]));
            assertEquals(0f, grad[2 * v + j]);
        }
    }

    @Test
    void badLayoutsAreRefused() {
        Tensor x = logits(90, 4, 6, 1, false), t = Tensor.fromArray(new long[] {0, 1, 2, 3}, 4);
        Tensor loss = Tensor.empty(DType.F32, 4), lse = Tensor.empty(DType.F32, 4);
        assertThrows(IllegalArgumentException.class, () -> CPU.crossEntropy(x.t(), t, -100, 0, loss, lse));
        assertThrows(IllegalArgumentException.class, () -> CPU.crossEntropy(x.to(DType.F16), t, -100, 0, loss, lse));
        assertThrows(IllegalArgumentException.class, () -> CPU.crossEntropy(x, t.to(DType.F32), -100, 0, loss, lse));
        assertThrows(IllegalArgumentException.class, () -> CPU.crossEntropy(x, t, -100, 0, Tensor.empty(DType.F32, 3), lse));
        assertThrows(IllegalArgumentException.class,
                () -> CPU.crossEntropyBackward(x, t, -100, 0, lse, Tensor.empty(DType.F32, 2), Tensor.empty(DType.F32, 4, 6)));
        assertThrows(IllegalArgumentException.class,
                () -> CPU.crossEntropyBackward(x, t, -100, 0, lse, Tensor.empty(DType.F32, 1), Tensor.empty(DType.F16, 4, 6)));
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(x, t, -100, -1));
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(x, t, -100, Double.NaN));
    }
}
