package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The norms' weight (and bias) gradients have the same bits whatever the number of threads,
 * added to the existing gradient. LayerNorm's are each column's sum over the rows in row order,
 * bit for bit a plain double loop; RMSNorm's are summed in the backward's one pass over the rows,
 * as double partials over fixed blocks of 64 rows (rows in order inside a block) added up in
 * block order. Per-thread partial sums merged as threads finished gave other bits on two threads
 * than on one, and on three or more varied from run to run.
 */
class NormWeightGradientBitsTest {
    private static final int ROWS = 3072, N = 128, BLOCK = 64;

    @Test
    void rmsNormWeightGradientIsTheBlockOrderSum() {
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = random(rng, ROWS * N), gy = random(rng, ROWS * N), inv = positive(rng, ROWS), before = random(rng, N);
        float[] got = rmsNormWeightGradient(x, gy, inv, before, random(rng, N));
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int b = 0; b < ROWS; b += BLOCK) {
                double block = 0;
                for (int r = b; r < Math.min(ROWS, b + BLOCK); r++) block += (double) gy[r * N + i] * x[r * N + i] * (double) inv[r];
                sum += block;
            }
            assertEquals(Float.floatToRawIntBits((float) (before[i] + sum)), Float.floatToRawIntBits(got[i]), "gw[" + i + "]");
        }
    }

    /**
     * A column whose sum depends on the grouping (2^54 in the first row, ones, −2^54 in the last):
     * the same bits on one thread as on all, where a split by the threads' row ranges would not be.
     */
    @Test
    void rmsNormWeightGradientDoesNotDependOnTheThreads() {
        float[] x = new float[ROWS * N], gy = new float[ROWS * N], inv = new float[ROWS];
        java.util.Arrays.fill(gy, 1f);
        java.util.Arrays.fill(inv, 1f);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < N; i++) x[r * N + i] = r == 0 ? 0x1p54f : r == ROWS - 1 ? -0x1p54f : 1f;
        }
        float[] all = rmsNormWeightGradient(x, gy, inv, new float[N], null);
        int previous = CpuThreads.limit(1);
        float[] one;
        try {
            one = rmsNormWeightGradient(x, gy, inv, new float[N], null);
        } finally {
            CpuThreads.limit(previous);
        }
        for (int i = 0; i < N; i++) assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(all[i]), "gw[" + i + "]");
    }

    private static float[] rmsNormWeightGradient(float[] x, float[] gy, float[] inv, float[] before, float[] w) {
        try (var _ = TensorScope.open()) {
            Tensor gw = Tensor.fromArray(before, N);
            CpuRowOps.rmsNormBackward(Tensor.fromArray(x, ROWS, N), w == null ? null : Tensor.fromArray(w, N), Tensor.fromArray(inv, ROWS),
                    Tensor.fromArray(gy, ROWS, N), Tensor.empty(DType.F32, ROWS, N), gw);
            return gw.toFloatArray();
        }
    }

    @Test
    void layerNormWeightAndBiasGradientsAreTheRowOrderSums() {
        SplittableRandom rng = new SplittableRandom(12);
        float[] x = random(rng, ROWS * N), gy = random(rng, ROWS * N), mean = random(rng, ROWS), inv = positive(rng, ROWS);
        float[] wBefore = random(rng, N), bBefore = random(rng, N);
        try (var _ = TensorScope.open()) {
            Tensor gw = Tensor.fromArray(wBefore, N), gb = Tensor.fromArray(bBefore, N);
            CpuRowOps.layerNormBackward(Tensor.fromArray(x, ROWS, N), Tensor.fromArray(random(rng, N), N), Tensor.fromArray(mean, ROWS),
                    Tensor.fromArray(inv, ROWS), Tensor.fromArray(gy, ROWS, N), Tensor.empty(DType.F32, ROWS, N), gw, gb);
            float[] gotW = gw.toFloatArray(), gotB = gb.toFloatArray();
            for (int i = 0; i < N; i++) {
                double sw = 0, sb = 0;
                for (int r = 0; r < ROWS; r++) {
                    double g = gy[r * N + i];
                    sw += g * ((x[r * N + i] - (double) mean[r]) * (double) inv[r]);
                    sb += g;
                }
                assertEquals(Float.floatToRawIntBits((float) (wBefore[i] + sw)), Float.floatToRawIntBits(gotW[i]), "gw[" + i + "]");
                assertEquals(Float.floatToRawIntBits((float) (bBefore[i] + sb)), Float.floatToRawIntBits(gotB[i]), "gb[" + i + "]");
            }
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
        return a;
    }

    private static float[] positive(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (0.5 + rng.nextDouble());
        return a;
    }
}
