package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OpsNnTest {
    // ---- matmul --------------------------------------------------------------------------------

    /** c[b] = a[b] · w[b] for row-major [B,M,K] and [B,K,N] (B may be 1 for a shared operand). */
    static double[] mm(float[] a, int ba, float[] w, int bw, int bs, int m, int k, int n) {
        double[] c = new double[bs * m * n];
        for (int b = 0; b < bs; b++) {
            int ao = (ba == 1 ? 0 : b) * m * k, wo = (bw == 1 ? 0 : b) * k * n;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[ao + i * k + p] * w[wo + p * n + j];
                c[(b * m + i) * n + j] = s;
            }
        }
        return c;
    }

    static double tol(int k) { return 2e-6 * Math.sqrt(k) + 1e-6; }

    @Test
    void matmulOddSizes() {
        int[][] mkn = {{1, 1, 1}, {1, 7, 1}, {7, 1, 5}, {3, 33, 7}, {33, 7, 65}, {65, 129, 17}, {1, 1000, 33}, {200, 64, 3}, {17, 300, 129}};
        for (int[] s : mkn) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = uniform(m * 7 + k, m * k, -1, 1), w = uniform(n * 13 + k, k * n, -1, 1);
            double[] ref = mm(a, 1, w, 1, 1, m, k, n);
            try (var _ = TensorScope.open()) {
                assertClose(ref, tensor(a, m, k).matmul(tensor(w, k, n)), tol(k), 1e-5, "matmul " + m + "x" + k + "x" + n);
                // transposed views of both operands (the GEMM's transposed layouts)
                assertClose(ref, transposedView(a, m, k).matmul(transposedView(w, k, n)), tol(k), 1e-5, "matmul transposed views " + m + "x" + k + "x" + n);
                // a column-sliced operand fits neither layout when stepped: must be copied, not misread
                Tensor aWide = tensor(stepCols(a, m, k), m, 2 * k).slice(1, 0, 2 * k, 2);
                assertClose(ref, aWide.matmul(tensor(w, k, n)), tol(k), 1e-5, "matmul stepped A " + m + "x" + k + "x" + n);
                Tensor wWide = tensor(stepCols(w, k, n), k, 2 * n).slice(1, 0, 2 * n, 2);
                assertClose(ref, tensor(a, m, k).matmul(wWide), tol(k), 1e-5, "matmul stepped W " + m + "x" + k + "x" + n);
            }
        }
    }

    /** Interleaves a [r, c] matrix's columns with NaN padding: [r, 2c]. */
    static float[] stepCols(float[] x, int r, int c) {
        float[] y = new float[r * c * 2];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) {
            y[i * 2 * c + 2 * j] = x[i * c + j];
            y[i * 2 * c + 2 * j + 1] = Float.NaN;
        }
        return y;
    }

    @Test
    void matmulCrossingGemmBlockSizes() {
        // beyond MC = 48 rows, KC = 1024 depth and NC = 1024 columns of the blocked GEMM, odd everywhere
        int m = 101, k = 1100, n = 1050;
        float[] a = uniform(1, m * k, -1, 1), w = uniform(2, k * n, -1, 1);
        double[] ref = mm(a, 1, w, 1, 1, m, k, n);
        assertClose(ref, tensor(a, m, k).matmul(tensor(w, k, n)), tol(k), 1e-5, "blocked");
        assertClose(ref, transposedView(a, m, k).matmul(transposedView(w, k, n)), tol(k), 1e-5, "blocked, transposed views");
        // BF16 weights on the blocked path
        Tensor wb = tensor(w, k, n).to(DType.BF16);
        assertClose(mm(a, 1, wb.toFloatArray(), 1, 1, m, k, n), tensor(a, m, k).matmul(wb), tol(k), 1e-5, "blocked BF16");
        // accumulation over many K with large magnitudes stays within f32 accuracy
        float[] a2 = uniform(3, 64 * 4099, -100, 100), w2 = uniform(4, 4099 * 9, -100, 100);
        assertClose(mm(a2, 1, w2, 1, 1, 64, 4099, 9), tensor(a2, 64, 4099).matmul(tensor(w2, 4099, 9)), 1e4 * tol(4099), 1e-5, "deep K");
    }

    @Test
    void kernelsGiveTheSameResultsFromConcurrentCallers() throws Exception {
        // several user threads share the one worker pool: no kernel may keep shared scratch state
        int threads = 4;
        float[][] as = new float[threads][], ws = new float[threads][];
        float[][] expMm = new float[threads][], expSm = new float[threads][], expNorm = new float[threads][], expConv = new float[threads][];
        for (int t = 0; t < threads; t++) {
            as[t] = uniform(100 + t, 70 * 300, -1, 1);
            ws[t] = uniform(200 + t, 300 * 90, -1, 1);
            try (var _ = TensorScope.open()) {
                Tensor a = tensor(as[t], 70, 300), w = tensor(ws[t], 300, 90);
                expMm[t] = a.matmul(w).toFloatArray();
                expSm[t] = F.softmax(a, -1).toFloatArray();
                expNorm[t] = F.layerNorm(a, null, null, 1e-5).toFloatArray();
                expConv[t] = F.conv2d(a.reshape(1, 3, 70, 100), w.narrow(0, 0, 27).narrow(1, 0, 2).t().reshape(2, 3, 3, 3), null, 2, 1).toFloatArray();
            }
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    for (int rep = 0; rep < 5; rep++) {
                        try (var _ = TensorScope.open()) {
                            Tensor a = tensor(as[id], 70, 300), w = tensor(ws[id], 300, 90);
                            assertArrayEquals(expMm[id], a.matmul(w).toFloatArray(), "matmul thread " + id);
                            assertArrayEquals(expSm[id], F.softmax(a, -1).toFloatArray(), "softmax thread " + id);
                            assertArrayEquals(expNorm[id], F.layerNorm(a, null, null, 1e-5).toFloatArray(), "layerNorm thread " + id);
                            assertArrayEquals(expConv[id], F.conv2d(a.reshape(1, 3, 70, 100), w.narrow(0, 0, 27).narrow(1, 0, 2).t().reshape(2, 3, 3, 3), null, 2, 1).toFloatArray(), "conv thread " + id);
                        }
                    }
                    return null;
                }));
            }
            for (var f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void matmulBatchedBroadcastAndVectors() {
        int b = 3, m = 5, k = 9, n = 4;
        float[] a = uniform(1, b * m * k, -1, 1), w = uniform(2, b * k * n, -1, 1), w1 = uniform(3, k * n, -1, 1);
        assertClose(mm(a, b, w, b, b, m, k, n), tensor(a, b, m, k).matmul(tensor(w, b, k, n)), tol(k), 1e-5, "batched");
        assertClose(mm(a, b, w1, 1, b, m, k, n), tensor(a, b, m, k).matmul(tensor(w1, k, n)), tol(k), 1e-5, "shared W");
        float[] a1 = uniform(4, m * k, -1, 1);
        assertClose(mm(a1, 1, w, b, b, m, k, n), tensor(a1, m, k).matmul(tensor(w, b, k, n)), tol(k), 1e-5, "shared A");
        // 4-D broadcast: [2,1,m,k] @ [1,3,k,n] -> [2,3,m,n]
        float[] a4 = uniform(5, 2 * m * k, -1, 1), w4 = uniform(6, 3 * k * n, -1, 1);
        Tensor r4 = tensor(a4, 2, 1, m, k).matmul(tensor(w4, 1, 3, k, n));
        assertShape(r4, 2, 3, m, n);
        double[] ref4 = new double[2 * 3 * m * n];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) {
            float[] ai = java.util.Arrays.copyOfRange(a4, i * m * k, (i + 1) * m * k), wj = java.util.Arrays.copyOfRange(w4, j * k * n, (j + 1) * k * n);
            System.arraycopy(mm(ai, 1, wj, 1, 1, m, k, n), 0, ref4, (i * 3 + j) * m * n, m * n);
        }
        assertClose(ref4, r4, tol(k), 1e-5, "4-D broadcast");
        // batched operands that are permuted views (batch dims not mergeable)
        Tensor ap = OpsReduceTest.noncontiguousCopy(a, new int[] {b, m, k});
        assertClose(mm(a, b, w, b, b, m, k, n), ap.matmul(tensor(w, b, k, n)), tol(k), 1e-5, "permuted batched A");
        // vectors
        float[] v = uniform(7, k, -1, 1);
        double[] mv = mm(a1, 1, v, 1, 1, m, k, 1);
        Tensor rmv = tensor(a1, m, k).matmul(tensor(v, k));
        assertShape(rmv, m);
        assertClose(mv, rmv, tol(k), 1e-5, "matrix @ vector");
        Tensor rvm = tensor(v, k).matmul(tensor(w1, k, n));
        assertShape(rvm, n);
        assertClose(mm(v, 1, w1, 1, 1, 1, k, n), rvm, tol(k), 1e-5, "vector @ matrix");
        Tensor dot = tensor(v, k).matmul(tensor(v, k));
        assertShape(dot);
        double dd = 0;
        for (float x : v) dd += x * x;
        assertEquals(dd, dot.item(), 1e-5);
        // expanded (stride-0) operands: a repeated row, a repeated column, a broadcast batch
        float[] row = uniform(10, k, -1, 1), col = uniform(11, k, -1, 1);
        float[] rowRep = new float[m * k], colRep = new float[k * n];
        for (int i = 0; i < m; i++) System.arraycopy(row, 0, rowRep, i * k, k);
        for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) colRep[i * n + j] = col[i];
        assertClose(mm(rowRep, 1, w1, 1, 1, m, k, n), tensor(row, 1, k).expand(m, k).matmul(tensor(w1, k, n)), tol(k), 1e-5, "expanded rows");
        assertClose(mm(a1, 1, colRep, 1, 1, m, k, n), tensor(a1, m, k).matmul(tensor(col, k, 1).expand(k, n)), tol(k), 1e-5, "expanded columns");
        assertClose(mm(a1, 1, w1, 1, 1, m, k, n), tensor(a1, 1, m, k).expand(b, m, k).matmul(tensor(w1, k, n)).select(0, b - 1), tol(k), 1e-5, "expanded batch");
        // large batch of small matrices (per-batch parallel path)
        int bb = 64;
        float[] ab = uniform(8, bb * 4 * 8, -1, 1), wb = uniform(9, bb * 8 * 3, -1, 1);
        assertClose(mm(ab, bb, wb, bb, bb, 4, 8, 3), tensor(ab, bb, 4, 8).matmul(tensor(wb, bb, 8, 3)), tol(8), 1e-5, "64 small batches");
    }

    @Test
    void matmulSixteenBitRightOperand() {
        int m = 7, k = 70, n = 33;
        float[] a = uniform(1, m * k, -1, 1), w = uniform(2, k * n, -1, 1);
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor wt = tensor(w, k, n).to(dt);
            float[] held = wt.toFloatArray();
            double[] ref = mm(a, 1, held, 1, 1, m, k, n);
            Tensor r = tensor(a, m, k).matmul(wt);
            assertEquals(DType.F32, r.dtype(), "F32 @ " + dt + " gives F32");
            assertClose(ref, r, tol(k), 1e-5, "F32 @ " + dt);
            // [out, in] weights read transposed in place: x @ W.t()
            Tensor wOutIn = tensor(transpose(w, k, n), n, k).to(dt);
            assertClose(ref, tensor(a, m, k).matmul(wOutIn.t()), tol(k), 1e-5, "F32 @ " + dt + ".t()");
            // 16-bit @ 16-bit stays 16-bit
            Tensor a16 = tensor(a, m, k).to(dt);
            Tensor r16 = a16.matmul(wt);
            assertEquals(dt, r16.dtype());
            double[] ref16 = mm(a16.toFloatArray(), 1, held, 1, 1, m, k, n);
            assertClose(ref16, r16, 1e-3, dt == DType.BF16 ? 8e-3 : 1e-3, dt + " @ " + dt);
        }
    }

    static float[] transpose(float[] x, int r, int c) {
        float[] y = new float[x.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
        return y;
    }

    @Test
    void matmulErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 2)));
        assertTrue(e.getMessage().contains("mismatch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.I64, 2, 2).matmul(Tensor.zeros(2, 2)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4)));
    }

    @Test
    void linearWithAndWithoutBias() {
        int in = 33, out = 17;
        float[] x = uniform(1, 2 * 5 * in, -1, 1), w = uniform(2, out * in, -1, 1), b = uniform(3, out, -1, 1);
        double[] ref = new double[10 * out], refNb = new double[10 * out];
        for (int r = 0; r < 10; r++) for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
            refNb[r * out + o] = s;
            ref[r * out + o] = s + b[o];
        }
        Tensor y = F.linear(tensor(x, 2, 5, in), tensor(w, out, in), tensor(b, out));
        assertShape(y, 2, 5, out);
        assertClose(ref, y, tol(in), 1e-5, "linear");
        assertClose(refNb, F.linear(tensor(x, 2, 5, in), tensor(w, out, in), null), tol(in), 1e-5, "linear without bias");
        Tensor wb = tensor(w, out, in).to(DType.BF16);
        float[] wh = wb.toFloatArray();
        double[] refB = new double[10 * out];
        for (int r = 0; r < 10; r++) for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += (double) x[r * in + i] * wh[o * in + i];
            refB[r * out + o] = s;
        }
        assertClose(refB, F.linear(tensor(x, 10, in), wb, null), tol(in), 1e-5, "linear BF16 weight");
        assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 5), null));
        assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 4), Tensor.zeros(4), null));
        assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 4), Tensor.zeros(4)));
    }

    // ---- softmax family --------------------------------------------------------------------------

    static double[] softmaxRef(float[] x, int rows, int n, boolean log) {
        double[] r = new double[x.length];
        for (int i = 0; i < rows; i++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) m = Math.max(m, x[i * n + j]);
            double s = 0;
            for (int j = 0; j < n; j++) s += Math.exp(x[i * n + j] - m);
            for (int j = 0; j < n; j++) r[i * n + j] = log ? x[i * n + j] - m - Math.log(s) : Math.exp(x[i * n + j] - m) / s;
        }
        return r;
    }

    @Test
    void softmaxAndLogSoftmaxRows() {
        int[][] shapes = {{1, 1}, {3, 7}, {5, 33}, {4, 1000}, {2, 20011}, {3000, 5}};
        for (int[] s : shapes) {
            float[] x = uniform(s[1], s[0] * s[1], -10, 10);
            for (boolean log : new boolean[] {false, true}) {
                double[] ref = softmaxRef(x, s[0], s[1], log);
                Tensor t = tensor(x, s);
                Tensor r = log ? F.logSoftmax(t, -1) : F.softmax(t, 1);
                assertClose(ref, r, log ? 5e-6 : 1e-7, 2e-6, (log ? "logSoftmax " : "softmax ") + java.util.Arrays.toString(s));
                // same values transposed: softmax over dim 0
                Tensor tv = tensor(transpose(x, s[0], s[1]), s[1], s[0]);
                Tensor r0 = log ? F.logSoftmax(tv, 0) : F.softmax(tv, 0);
                assertClose(transposeD(ref, s[0], s[1]), r0, log ? 5e-6 : 1e-7, 2e-6, "dim 0 " + java.util.Arrays.toString(s));
            }
        }
        // large magnitudes and -inf entries
        Tensor big = tensor(new float[] {1000, 1001, Float.NEGATIVE_INFINITY, -1000}, 1, 4);
        float[] sm = F.softmax(big, -1).toFloatArray();
        assertEquals(1 / (1 + Math.E), sm[0], 1e-6);
        assertEquals(Math.E / (1 + Math.E), sm[1], 1e-6);
        assertEquals(0, sm[2]);
        assertEquals(0, sm[3]);
        float[] lsm = F.logSoftmax(big, -1).toFloatArray();
        assertEquals(Float.NEGATIVE_INFINITY, lsm[2]);
        assertEquals(-Math.log1p(Math.E), lsm[0], 1e-4);
        // -inf entries inside rows long enough for the vector body
        float[] xm = uniform(12, 3 * 37, -5, 5);
        for (int i = 0; i < xm.length; i += 4) xm[i] = Float.NEGATIVE_INFINITY;
        assertClose(softmaxRef(xm, 3, 37, false), F.softmax(tensor(xm, 3, 37), -1), 1e-7, 2e-6, "softmax with -inf");
        assertClose(softmaxRef(xm, 3, 37, true), F.logSoftmax(tensor(xm, 3, 37), -1), 5e-6, 2e-6, "logSoftmax with -inf");
        // a fully masked row gives NaN (0/0), as PyTorch, and leaves other rows intact
        float[] allInf = new float[2 * 20];
        java.util.Arrays.fill(allInf, 0, 20, Float.NEGATIVE_INFINITY);
        float[] sr = F.softmax(tensor(allInf, 2, 20), -1).toFloatArray();
        assertTrue(Float.isNaN(sr[0]));
        assertEquals(1 / 20f, sr[25], 1e-7);
        // 3-D over the middle dim
        float[] x3 = uniform(9, 2 * 5 * 3, -2, 2);
        Tensor r3 = F.softmax(tensor(x3, 2, 5, 3), 1);
        float[] g3 = r3.toFloatArray();
        for (int a = 0; a < 2; a++) for (int c = 0; c < 3; c++) {
            double m = -1e9, s = 0;
            for (int b = 0; b < 5; b++) m = Math.max(m, x3[(a * 5 + b) * 3 + c]);
            for (int b = 0; b < 5; b++) s += Math.exp(x3[(a * 5 + b) * 3 + c] - m);
            for (int b = 0; b < 5; b++) assertEquals(Math.exp(x3[(a * 5 + b) * 3 + c] - m) / s, g3[(a * 5 + b) * 3 + c], 1e-6);
        }
        // BF16 in, BF16 out
        Tensor rb = F.softmax(tensor(x3, 2, 5, 3).to(DType.BF16), -1);
        assertEquals(DType.BF16, rb.dtype());
        assertThrows(IndexOutOfBoundsException.class, () -> F.softmax(Tensor.zeros(2, 3), 2));
    }

    static double[] transposeD(double[] x, int r, int c) {
        double[] y = new double[x.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
        return y;
    }

    // ---- normalisation -------------------------------------------------------------------------

    @Test
    void rmsNormAndLayerNorm() {
        int[][] shapes = {{1, 1}, {3, 7}, {4, 33}, {2, 1000}, {500, 16}};
        for (int[] s : shapes) {
            int rows = s[0], n = s[1];
            float[] x = uniform(n + 1, rows * n, -3, 3), w = uniform(n + 2, n, 0.5, 1.5), b = uniform(n + 3, n, -1, 1);
            double eps = 1e-5;
            double[] rms = new double[x.length], rmsW = new double[x.length], ln = new double[x.length], lnWB = new double[x.length];
            for (int i = 0; i < rows; i++) {
                double ss = 0, mu = 0;
                for (int j = 0; j < n; j++) {
                    ss += (double) x[i * n + j] * x[i * n + j];
                    mu += x[i * n + j];
                }
                mu /= n;
                double var = 0;
                for (int j = 0; j < n; j++) var += (x[i * n + j] - mu) * (x[i * n + j] - mu);
                var /= n;
                double inv = 1 / Math.sqrt(ss / n + eps), linv = 1 / Math.sqrt(var + eps);
                for (int j = 0; j < n; j++) {
                    rms[i * n + j] = x[i * n + j] * inv;
                    rmsW[i * n + j] = x[i * n + j] * inv * w[j];
                    ln[i * n + j] = (x[i * n + j] - mu) * linv;
                    lnWB[i * n + j] = (x[i * n + j] - mu) * linv * w[j] + b[j];
                }
            }
            String what = java.util.Arrays.toString(s);
            Tensor t = tensor(x, s);
            assertClose(rms, F.rmsNorm(t, null, eps), 1e-6, 2e-6, "rmsNorm " + what);
            assertClose(rmsW, F.rmsNorm(t, tensor(w, n), eps), 1e-6, 2e-6, "rmsNorm w " + what);
            assertClose(ln, F.layerNorm(t, null, null, eps), 2e-6, 5e-6, "layerNorm " + what);
            assertClose(lnWB, F.layerNorm(t, tensor(w, n), tensor(b, n), eps), 2e-6, 5e-6, "layerNorm w b " + what);
            // non-contiguous input and a stepped weight
            Tensor tv = tensor(transpose(x, rows, n), n, rows).t();
            assertClose(rmsW, F.rmsNorm(tv, steppedView(w), eps), 1e-6, 2e-6, "rmsNorm transposed " + what);
            assertClose(lnWB, F.layerNorm(tv, steppedView(w), tensor(b, n), eps), 2e-6, 5e-6, "layerNorm transposed " + what);
        }
        // BF16 weights are decoded; BF16 input gives BF16 output
        Tensor x = rnd(1, 4, 8);
        Tensor w = tensor(uniform(2, 8, 0.5, 1.5), 8);
        float[] ref = F.rmsNorm(x, w.to(DType.BF16).to(DType.F32), 1e-6).toFloatArray();
        assertArrayEquals(ref, F.rmsNorm(x, w.to(DType.BF16), 1e-6).toFloatArray());
        assertEquals(DType.BF16, F.rmsNorm(x.to(DType.BF16), w, 1e-6).dtype());
        // constant rows: layerNorm gives 0 (no NaN), rmsNorm of zeros gives 0
        assertArrayEquals(new float[4], F.layerNorm(Tensor.full(3, DType.F32, 1, 4), null, null, 1e-5).toFloatArray());
        assertArrayEquals(new float[4], F.rmsNorm(Tensor.zeros(1, 4), null, 1e-6).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> F.rmsNorm(Tensor.zeros(2, 4), Tensor.zeros(5), 1e-6));
        assertThrows(IllegalArgumentException.class, () -> F.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(4), Tensor.zeros(2, 2), 1e-6));
        assertThrows(IllegalArgumentException.class, () -> F.rmsNorm(Tensor.scalar(1), null, 1e-6));
    }

    @Test
    void groupNorm() {
        int n = 2, c = 6, h = 3, w = 5, groups = 3;
        float[] x = uniform(1, n * c * h * w, -2, 2), gw = uniform(2, c, 0.5, 1.5), gb = uniform(3, c, -1, 1);
        double eps = 1e-5;
        double[] ref = new double[x.length];
        int per = c / groups;
        for (int i = 0; i < n; i++) for (int g = 0; g < groups; g++) {
            double mu = 0, var = 0;
            int cnt = per * h * w;
            for (int ch = g * per; ch < (g + 1) * per; ch++) for (int p = 0; p < h * w; p++) mu += x[(i * c + ch) * h * w + p];
            mu /= cnt;
            for (int ch = g * per; ch < (g + 1) * per; ch++) for (int p = 0; p < h * w; p++) var += Math.pow(x[(i * c + ch) * h * w + p] - mu, 2);
            var /= cnt;
            for (int ch = g * per; ch < (g + 1) * per; ch++) for (int p = 0; p < h * w; p++) {
                int at = (i * c + ch) * h * w + p;
                ref[at] = (x[at] - mu) / Math.sqrt(var + eps) * gw[ch] + gb[ch];
            }
        }
        assertClose(ref, F.groupNorm(tensor(x, n, c, h, w), groups, tensor(gw, c), tensor(gb, c), eps), 2e-6, 5e-6, "groupNorm");
        // groups == channels and groups == 1, no affine
        Tensor y1 = F.groupNorm(tensor(x, n, c, h, w), 1, null, null, eps);
        assertEquals(0, y1.sum(new int[] {1, 2, 3}, false).toFloatArray()[0], 1e-4);
        assertThrows(IllegalArgumentException.class, () -> F.groupNorm(Tensor.zeros(2, 6, 3, 3), 4, null, null, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> F.groupNorm(Tensor.zeros(2, 6, 3, 3), 0, null, null, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> F.groupNorm(Tensor.zeros(6), 1, null, null, 1e-5));
    }

    // ---- convolution and resampling -------------------------------------------------------------

    static double[] convRef(float[] x, int n, int c, int h, int wd, float[] w, int o, int kh, int kw, float[] b, int sh, int sw, int ph, int pw) {
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        double[] y = new double[n * o * oh * ow];
        for (int i = 0; i < n; i++) for (int oc = 0; oc < o; oc++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double s = b == null ? 0 : b[oc];
            for (int ic = 0; ic < c; ic++) for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
                int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += (double) x[((i * c + ic) * h + iy) * wd + ix] * w[((oc * c + ic) * kh + ky) * kw + kx];
            }
            y[((i * o + oc) * oh + oy) * ow + ox] = s;
        }
        return y;
    }

    @Test
    void conv2dStridesPaddingsKernels() {
        int[][] cases = {
            // n, c, h, w, o, kh, kw, sh, sw, ph, pw
            {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0},
            {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1},
            {2, 3, 8, 9, 5, 3, 3, 2, 2, 1, 1},
            {1, 4, 9, 7, 2, 4, 4, 2, 2, 1, 1},
            {1, 2, 6, 11, 3, 1, 1, 1, 1, 0, 0},
            {3, 2, 5, 8, 2, 2, 3, 1, 2, 0, 2},
            {1, 3, 4, 4, 2, 5, 5, 1, 1, 2, 2},
            {1, 1, 3, 3, 1, 3, 3, 3, 3, 0, 0},
        };
        for (int[] k : cases) {
            int n = k[0], c = k[1], h = k[2], wd = k[3], o = k[4], kh = k[5], kw = k[6], sh = k[7], sw = k[8], ph = k[9], pw = k[10];
            float[] x = uniform(h * 31 + wd, n * c * h * wd, -1, 1), w = uniform(o * 7 + kh, o * c * kh * kw, -1, 1), b = uniform(o, o, -1, 1);
            double[] ref = convRef(x, n, c, h, wd, w, o, kh, kw, b, sh, sw, ph, pw);
            Tensor y = sh == sw && ph == pw
                    ? F.conv2d(tensor(x, n, c, h, wd), tensor(w, o, c, kh, kw), tensor(b, o), sh, ph)
                    : F.conv2d(tensor(x, n, c, h, wd), tensor(w, o, c, kh, kw), tensor(b, o), sh, sw, ph, pw);
            int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
            assertShape(y, n, o, oh, ow);
            assertClose(ref, y, 1e-5, 1e-5, "conv2d " + java.util.Arrays.toString(k));
            double[] refNb = convRef(x, n, c, h, wd, w, o, kh, kw, null, sh, sw, ph, pw);
            // non-contiguous input (permuted storage) and no bias
            Tensor xv = OpsReduceTest.noncontiguousCopy(x, new int[] {n, c, h, wd});
            assertClose(refNb, F.conv2d(xv, tensor(w, o, c, kh, kw), null, sh, sw, ph, pw), 1e-5, 1e-5, "conv2d nc " + java.util.Arrays.toString(k));
        }
    }

    @Test
    void conv2dErrors() {
        Tensor x = Tensor.zeros(1, 2, 4, 4);
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(x, Tensor.zeros(3, 3, 3, 3), null, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(2, 4, 4), Tensor.zeros(3, 2, 3, 3), null, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(x, Tensor.zeros(3, 2, 3, 3), null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(x, Tensor.zeros(3, 2, 3, 3), null, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(x, Tensor.zeros(3, 2, 5, 5), null, 1, 0));
        // a kernel larger than the padded input must be refused even when the stride hides it
        var e = assertThrows(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(1, 1, 2, 2), Tensor.zeros(1, 1, 3, 3), null, 2, 0));
        assertTrue(e.getMessage().contains("larger"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(1, 1, 5, 2), Tensor.zeros(1, 1, 3, 3), null, 2, 2, 0, 0));
    }

    @Test
    void upsampleNearestAndPad() {
        float[] x = uniform(1, 2 * 3 * 2 * 3, -1, 1);
        Tensor u = F.upsampleNearest(tensor(x, 2, 3, 2, 3), 3);
        assertShape(u, 2, 3, 6, 9);
        float[] uv = u.toFloatArray();
        for (int nc = 0; nc < 6; nc++) for (int i = 0; i < 6; i++) for (int j = 0; j < 9; j++) {
            assertEquals(x[nc * 6 + (i / 3) * 3 + j / 3], uv[nc * 54 + i * 9 + j]);
        }
        assertArrayEquals(x, F.upsampleNearest(tensor(x, 2, 3, 2, 3), 1).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> F.upsampleNearest(Tensor.zeros(2, 2), 2));
        assertThrows(IllegalArgumentException.class, () -> F.upsampleNearest(Tensor.zeros(1, 1, 2, 2), 0));

        float[] p = uniform(2, 2 * 3 * 4, -1, 1);
        Tensor pd = F.pad(tensor(p, 2, 3, 4), new int[] {1, 2, 0, 3}, -9);
        assertShape(pd, 2, 6, 7);
        float[] pv = pd.toFloatArray();
        for (int a = 0; a < 2; a++) for (int i = 0; i < 6; i++) for (int j = 0; j < 7; j++) {
            boolean inside = i < 3 && j >= 1 && j < 5;
            assertEquals(inside ? p[a * 12 + i * 4 + j - 1] : -9, pv[(a * 6 + i) * 7 + j], "pad " + a + "," + i + "," + j);
        }
        Tensor p1 = F.pad(tensor(p, 2, 3, 4), new int[] {2, 0}, 0);
        assertEquals(0, p1.get(1, 2, 1));
        assertEquals(p[12 + 2 * 4], p1.get(1, 2, 2));
        assertShape(p1, 2, 3, 6);
        Tensor pt = F.pad(tensor(p, 2, 3, 4).transpose(1, 2), new int[] {0, 1}, 5);   // non-contiguous input [2,4,3] -> [2,4,4]
        assertShape(pt, 2, 4, 4);
        assertEquals(p[1 * 12 + 2 * 4 + 3], pt.get(1, 3, 2));
        assertEquals(5, pt.get(1, 3, 3));
        assertEquals(DType.BF16, F.pad(tensor(p, 24).to(DType.BF16), new int[] {1, 1}, 0).dtype());
        assertThrows(IllegalArgumentException.class, () -> F.pad(Tensor.zeros(2), new int[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> F.pad(Tensor.zeros(2), new int[] {1, 1, 1, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> F.pad(Tensor.zeros(2), new int[] {-1, 1}, 0));
    }

    // ---- attention --------------------------------------------------------------------

    @Test
    void attentionMatchesReference() {
        int b = 2, h = 3, lq = 5, lk = 7, d = 9;
        float[] q = uniform(1, b * h * lq * d, -1, 1), k = uniform(2, b * h * lk * d, -1, 1), v = uniform(3, b * h * lk * d, -1, 1);
        double scale = 1 / Math.sqrt(d);
        for (boolean masked : new boolean[] {false, true}) {
            AttentionSpec spec = masked ? AttentionSpec.causal(scale) : AttentionSpec.full(scale);
            double[] ref = new double[b * h * lq * d];
            for (int bh = 0; bh < b * h; bh++) for (int i = 0; i < lq; i++) {
                double[] s = new double[lk];
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    if (masked && j > i + (lk - lq)) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += (double) q[(bh * lq + i) * d + t] * k[(bh * lk + j) * d + t];
                    s[j] = dot * scale;
                    m = Math.max(m, s[j]);
                }
                double z = 0;
                for (int j = 0; j < lk; j++) z += Math.exp(s[j] - m);
                for (int t = 0; t < d; t++) {
                    double acc = 0;
                    for (int j = 0; j < lk; j++) acc += Math.exp(s[j] - m) / z * v[(bh * lk + j) * d + t];
                    ref[(bh * lq + i) * d + t] = acc;
                }
            }
            Tensor out = F.attention(tensor(q, b, h, lq, d), tensor(k, b, h, lk, d), tensor(v, b, h, lk, d), spec);
            assertShape(out, b, h, lq, d);
            assertClose(ref, out, 1e-5, 1e-5, "attention masked=" + masked);
            // heads laid out as [B, L, H, D] and transposed (non-contiguous, the usual projection layout)
            Tensor qv = OpsReduceTest.noncontiguousCopy(q, new int[] {b, h, lq, d});
            Tensor out2 = F.attention(qv, tensor(k, b, h, lk, d), tensor(v, b, h, lk, d), spec);
            assertClose(ref, out2, 1e-5, 1e-5, "attention nc masked=" + masked);
        }
    }

    // ---- dropout and losses ---------------------------------------------------------------------

    @Test
    void dropout() {
        int n = 100_003;
        Tensor x = tensor(uniform(1, n, 1, 2), n);
        assertTrue(F.dropout(x, 0.5, false, new Generator(1)) == x);
        assertTrue(F.dropout(x, 0, true, new Generator(1)) == x);
        float[] xv = x.toFloatArray();
        float[] y = F.dropout(x, 0.3, true, new Generator(7)).toFloatArray();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] != 0) {
                kept++;
                assertEquals(xv[i] * 1f * (float) (1 / 0.7), y[i], Math.ulp(y[i]) * 2, "survivor scaled by 1/(1-p)");
            }
        }
        double frac = kept / (double) n;
        assertEquals(0.7, frac, 4 * Math.sqrt(0.21 / n));
        assertArrayEquals(y, F.dropout(x, 0.3, true, new Generator(7)).toFloatArray(), "same seed, same mask");
        assertFalse(java.util.Arrays.equals(y, F.dropout(x, 0.3, true, new Generator(8)).toFloatArray()));
        assertThrows(IllegalArgumentException.class, () -> F.dropout(x, 1, true, new Generator(1)));
        assertThrows(IllegalArgumentException.class, () -> F.dropout(x, -0.1, true, new Generator(1)));
    }

    static double ceRef(float[] logits, int n, int v, long[] t, int ignore, double z) {
        double total = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (t[i] == ignore) continue;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) m = Math.max(m, logits[i * v + j]);
            double s = 0;
            for (int j = 0; j < v; j++) s += Math.exp(logits[i * v + j] - m);
            double lse = m + Math.log(s);
            total += lse - logits[i * v + (int) t[i]] + z * lse * lse;
            count++;
        }
        return total / Math.max(count, 1);
    }

    @Test
    void crossEntropy() {
        int n = 13, v = 37;
        float[] logits = uniform(1, n * v, -4, 4);
        Random r = new Random(2);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(v);
        t[3] = -100;
        t[7] = -100;
        for (double z : new double[] {0, 1e-4, 0.1}) {
            double ref = ceRef(logits, n, v, t, -100, z);
            Tensor loss = F.crossEntropy(tensor(logits, n, v), Tensor.fromArray(t, n), -100, z);
            assertShape(loss);
            assertEquals(ref, loss.item(), 1e-5 * Math.max(1, Math.abs(ref)), "z=" + z);
        }
        // I32 targets, a different ignore index, non-contiguous logits
        int[] ti = new int[n];
        for (int i = 0; i < n; i++) ti[i] = (int) (t[i] < 0 ? 0 : t[i]);
        long[] tl = new long[n];
        for (int i = 0; i < n; i++) tl[i] = ti[i];
        Tensor lv = tensor(transpose(logits, n, v), v, n).t();
        assertEquals(ceRef(logits, n, v, tl, 0, 0), F.crossEntropy(lv, Tensor.fromArray(ti, n), 0, 0).item(), 1e-5);
        // everything ignored -> 0, not NaN
        long[] all = new long[n];
        java.util.Arrays.fill(all, -1);
        assertEquals(0, F.crossEntropy(tensor(logits, n, v), Tensor.fromArray(all, n), -1, 0.1).item());
        // large logits stay finite
        Tensor big = tensor(new float[] {1000, 0, -1000, 999}, 2, 2);
        assertEquals((Math.log1p(Math.exp(-1000)) + (Math.log1p(Math.exp(-1999)))) / 2, F.crossEntropy(big, Tensor.fromArray(new long[] {0, 1}, 2), -100, 0).item(), 1e-4);
        // bad input
        var e = assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(tensor(logits, n, v), Tensor.fromArray(new long[n], n).add(Tensor.fromArray(new long[] {v}, 1)), -100, 0));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(tensor(logits, n, v), Tensor.fromArray(new long[] {-5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, n), -100, 0));
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(tensor(logits, n, v), Tensor.zeros(n), -100, 0));
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(tensor(logits, n, v), Tensor.zeros(DType.I64, n + 1), -100, 0));
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(tensor(logits, n * v), Tensor.zeros(DType.I64, n), -100, 0));
    }
}
