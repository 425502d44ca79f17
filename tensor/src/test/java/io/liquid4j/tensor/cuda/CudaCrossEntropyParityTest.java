package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * F.linearCrossEntropy on cuda:0 (the chunked default over cuBLASLt and cross_entropy.cu) against
 * the CPU, loss and both gradients, F32 and BF16 weights, with softcap, z-loss, ignored rows and
 * several chunks; and the no-sync contract for an out-of-range target id: a NaN loss, no exception.
 * Tolerances as CudaOpsParityTest: 1e-4 relative (F32), 1e-2 for a BF16 weight's gradient.
 */
@Tag("gpu")
class CudaCrossEntropyParityTest {
    static final Device GPU = Device.cuda(0);

    private static Tensor rnd(long seed, double scale, int... shape) {
        Random r = new Random(seed);
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * scale);
        return Tensor.fromArray(v, shape);
    }

    private static void assertRel(String what, float[] cpu, float[] gpu, double tol) {
        double num = 0, den = 0;
        for (int i = 0; i < cpu.length; i++) {
            num += (cpu[i] - gpu[i]) * (double) (cpu[i] - gpu[i]);
            den += cpu[i] * (double) cpu[i];
        }
        assertTrue(Math.sqrt(num) <= tol * Math.max(1e-12, Math.sqrt(den)), what + ": relative error " + Math.sqrt(num / Math.max(1e-30, den)));
    }

    @Test
    void linearCrossEntropyMatchesCpu() {
        assumeTrue(Backends.isAvailable(GPU), "no CUDA device: " + Backends.cudaUnavailableReason());
        int n = 37, h = 64, v = 1000;
        long[] t = new long[n];
        Random r = new Random(3);
        for (int i = 0; i < n; i++) t[i] = i % 9 == 4 ? -100 : r.nextInt(v);
        t[n - 1] = v - 1;
        String key = "liquid4j.xent.chunkBytes";
        System.setProperty(key, Long.toString(4L * v * 8));   // 8 rows per chunk: 5 chunks
        try {
            // F32 hidden with F32 / BF16 weights (exact F32 GEMMs), then BF16 hidden with a BF16 weight:
            // CUDA's 16-bit GEMMs (the CPU widens the same values; dlogits rounded on the GPU only)
            for (DType[] types : new DType[][] {{DType.F32, DType.F32}, {DType.F32, DType.BF16}, {DType.BF16, DType.BF16}}) {
                DType ht = types[0], wt = types[1];
                for (double[] c : new double[][] {{0, 0}, {1e-4, 0}, {1e-3, 3.0}}) {
                    try (var _ = TensorScope.open()) {
                        String what = "hidden " + ht + " weight " + wt + " z=" + c[0] + " cap=" + c[1];
                        Tensor hs = rnd(1, 1, n, h).to(ht), ws = rnd(2, 0.3, v, h).to(wt), ts = Tensor.fromArray(t, n);
                        float[][] res = new float[2][];
                        float[][] gh = new float[2][], gw = new float[2][];
                        int k = 0;
                        for (Device d : new Device[] {Device.CPU, GPU}) {
                            Tensor hd = hs.to(d).detach().requiresGrad(true), wd = ws.to(d).detach().requiresGrad(true);
                            Tensor loss = F.linearCrossEntropy(hd, wd, ts.to(d), -100, c[0], c[1]);
                            loss.backward();
                            assertEquals(wt, wd.grad().dtype(), what);
                            res[k] = loss.toFloatArray();
                            gh[k] = hd.grad().toFloatArray();
                            gw[k] = wd.grad().toFloatArray();
                            k++;
                        }
                        assertEquals(res[0][0], res[1][0], 1e-4 * Math.max(1, Math.abs(res[0][0])), what + ": loss");
                        assertRel(what + ": grad hidden", gh[0], gh[1], ht == DType.BF16 ? 1e-2 : wt == DType.BF16 ? 1e-3 : 1e-4);
                        assertRel(what + ": grad weight", gw[0], gw[1], wt == DType.BF16 ? 1e-2 : 1e-4);
                    }
                }
            }
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void outOfRangeTargetGivesNaNWithoutSync() {
        assumeTrue(Backends.isAvailable(GPU), "no CUDA device: " + Backends.cudaUnavailableReason());
        try (var _ = TensorScope.open()) {
            Tensor logits = rnd(5, 1, 4, 10).to(GPU).requiresGrad(true);
            Tensor t = Tensor.fromArray(new long[] {1, 10, -100, 3}, 4).to(GPU);
            Tensor loss = F.crossEntropy(logits, t, -100, 1e-4);
            assertTrue(Double.isNaN(loss.item()), "a target id past the vocabulary makes the mean NaN on CUDA");
            loss.backward();
            float[] g = logits.grad().toFloatArray();
            for (int j = 0; j < 10; j++) assertTrue(Float.isNaN(g[10 + j]), "the bad row's gradient is NaN");
            Tensor h = rnd(6, 1, 4, 8).to(GPU), w = rnd(7, 1, 10, 8).to(GPU);
            assertTrue(Double.isNaN(F.linearCrossEntropy(h, w, Tensor.fromArray(new long[] {0, 1, -2, 3}, 4).to(GPU), -100, 0, 0).item()));
        }
    }
}
