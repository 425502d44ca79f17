package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomTest {
    static float[] concat(float[] a, float[] b) {
        float[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void sameSeedSameValuesDifferentSeedsDiffer() {
        for (int n : new int[] {1, 33, 20011, 100_003}) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                float[] a = Tensor.randn(new Generator(7), dt, Device.CPU, n).toFloatArray();
                float[] b = Tensor.randn(new Generator(7), dt, Device.CPU, n).toFloatArray();
                assertArrayEquals(a, b, "randn " + dt + " n=" + n);
                float[] c = Tensor.rand(new Generator(7), dt, Device.CPU, n).toFloatArray();
                assertArrayEquals(c, Tensor.rand(new Generator(7), dt, Device.CPU, n).toFloatArray(), "rand " + dt + " n=" + n);
                if (n > 1) assertFalse(Arrays.equals(a, Tensor.randn(new Generator(8), dt, Device.CPU, n).toFloatArray()));
            }
        }
    }

    @Test
    void oneCallEqualsSuccessiveCallsFromTheSameGenerator() {
        int n = 40_009;
        float[] whole = Tensor.randn(new Generator(3), n).toFloatArray();
        float[] wholeU = Tensor.rand(new Generator(3), n).toFloatArray();
        for (int k : new int[] {1, 17, 16_384, 20_000, n - 1}) {
            Generator g = new Generator(3);
            float[] first = Tensor.randn(g, k).toFloatArray();
            float[] second = Tensor.randn(g, n - k).toFloatArray();
            assertArrayEquals(whole, concat(first, second), "randn split at " + k);
            Generator gu = new Generator(3);
            float[] u1 = Tensor.rand(gu, k).toFloatArray();
            assertArrayEquals(wholeU, concat(u1, Tensor.rand(gu, n - k).toFloatArray()), "rand split at " + k);
        }
        // the shape does not matter, only the element count
        assertArrayEquals(whole, Tensor.randn(new Generator(3), 1, 40_009).toFloatArray());
        float[] three = concat(concat(Tensor.randn(new Generator(3), 7, 11).toFloatArray(), new float[0]), new float[0]);
        assertArrayEquals(Arrays.copyOf(whole, 77), three);
        // empty tensors consume nothing
        Generator g = new Generator(3);
        Tensor.randn(g, 0, 5);
        assertArrayEquals(Arrays.copyOf(whole, 10), Tensor.randn(g, 10).toFloatArray());
        Generator adv = new Generator(3);
        assertEquals(0, adv.advance(5));
        assertEquals(5, adv.advance(1));
    }

    @Test
    void eachElementIsAPureFunctionOfSeedAndCounter() {
        // element i == Generator's definition at counter i, whatever the split across worker threads
        int n = 70_001;
        Generator g = new Generator(11);
        g.advance(1000);
        float[] v = Tensor.randn(g, n).toFloatArray();
        float[] u = Tensor.rand(g, n).toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals((float) Generator.normal(Generator.bits(11, 1000 + i)), v[i], "randn element " + i);
            assertEquals((float) Generator.uniform(Generator.bits(11, 1000 + n + i)), u[i], "rand element " + i);
        }
        // 16-bit dtypes hold the same draws rounded
        float[] f = Tensor.randn(new Generator(4), 5000).toFloatArray();
        float[] b = Tensor.randn(new Generator(4), DType.BF16, Device.CPU, 5000).toFloatArray();
        float[] h = Tensor.randn(new Generator(4), DType.F16, Device.CPU, 5000).toFloatArray();
        for (int i = 0; i < f.length; i++) {
            assertEquals(DType.bf16ToFloat(DType.floatToBf16(f[i])), b[i]);
            assertEquals(DType.f16ToFloat(DType.floatToF16(f[i])), h[i]);
        }
    }

    @Test
    void randnMomentsAndShape() {
        int n = 400_003;
        float[] v = Tensor.randn(new Generator(5), n).toFloatArray();
        double s = 0, s2 = 0, s3 = 0, s4 = 0;
        int within1 = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x));
            s += x;
            if (Math.abs(x) < 1) within1++;
        }
        double mean = s / n;
        for (float x : v) {
            double d = x - mean;
            s2 += d * d;
            s3 += d * d * d;
            s4 += d * d * d * d;
        }
        double var = s2 / (n - 1);
        assertEquals(0, mean, 5 / Math.sqrt(n), "mean");
        assertEquals(1, Math.sqrt(var), 5 * Math.sqrt(0.5 / n), "std");
        assertEquals(0, s3 / n, 5 * Math.sqrt(15.0 / n), "skewness");
        assertEquals(3, s4 / n, 5 * Math.sqrt(96.0 / n), "kurtosis");
        assertEquals(0.682689, within1 / (double) n, 5 * Math.sqrt(0.2166 / n), "P(|x| < 1)");
        // neighbouring elements are uncorrelated
        double c = 0;
        for (int i = 1; i < n; i++) c += (v[i] - mean) * (v[i - 1] - mean);
        assertEquals(0, c / (n - 1), 5 / Math.sqrt(n), "lag-1 correlation");
    }

    @Test
    void randMomentsAndRange() {
        int n = 400_003;
        float[] v = Tensor.rand(new Generator(6), n).toFloatArray();
        double s = 0, s2 = 0;
        int[] bins = new int[10];
        for (float x : v) {
            assertTrue(x >= 0 && x < 1, "rand value " + x + " outside [0, 1)");
            s += x;
            bins[(int) (x * 10)]++;
        }
        double mean = s / n;
        for (float x : v) s2 += (x - mean) * (x - mean);
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n));
        assertEquals(1.0 / 12, s2 / (n - 1), 5 * Math.sqrt(1.0 / 180 / n));
        double chi2 = 0;
        for (int b : bins) chi2 += Math.pow(b - n / 10.0, 2) / (n / 10.0);
        assertTrue(chi2 < 40, "chi-square of 10 bins = " + chi2);    // 9 dof: p < 1e-5
    }

    @Test
    void randNeverReturnsOneAfterRoundingToTheStorageType() {
        // counter 6786046 of seed 42 draws u = 0.99999998784..., which rounds to 1.0f in f32
        double u = Generator.uniform(Generator.bits(42, 6_786_046));
        assertTrue(u < 1 && (float) u == 1f, "test setup: expected a draw that rounds up to 1.0f");
        Generator g = new Generator(42);
        g.advance(6_786_046 - 3);
        float[] f = Tensor.rand(g, 7).toFloatArray();
        for (float x : f) assertTrue(x >= 0 && x < 1, "F32 rand value " + x + " outside [0, 1)");
        assertEquals(Math.nextDown(1f), f[3], "the largest f32 below 1");
        // bf16 and f16 have 8 and 11 significant bits: many draws would round to 1.0
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            float[] b = Tensor.rand(new Generator(1), dt, Device.CPU, 100_000).toFloatArray();
            int top = 0;
            for (float x : b) {
                assertTrue(x >= 0 && x < 1, dt + " rand value " + x + " outside [0, 1)");
                if (x == (dt == DType.BF16 ? DType.bf16ToFloat((short) 0x3F7F) : DType.f16ToFloat((short) 0x3BFF))) top++;
            }
            assertTrue(top > 0, dt + ": the largest value below 1 should occur");
        }
        // dropout built on rand keeps p exactly: ge(p) with p = 0 would keep values of exactly 0 too, so check p > 0 only
        assertTrue(Tensor.rand(new Generator(1), DType.BF16, Device.CPU, 10_000).lt(1).to(DType.I64).sum().item() == 10_000);
    }
}
