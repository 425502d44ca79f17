package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

/** Shared helpers of the op tests: host-side reference data and comparisons (all in double). */
final class OpsTestSupport {
    private OpsTestSupport() {}

    /** n uniform values in [lo, hi) from java.util.Random (independent of the library's generator). */
    static float[] uniform(long seed, int n, double lo, double hi) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** n values in [lo, hi) whose magnitude is at least minAbs (keeps finite differences off kinks). */
    static float[] awayFromZero(long seed, int n, double lo, double hi, double minAbs) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double x;
            do {
                x = lo + (hi - lo) * r.nextDouble();
            } while (Math.abs(x) < minAbs);
            v[i] = (float) x;
        }
        return v;
    }

    static Tensor tensor(float[] v, int... shape) { return Tensor.fromArray(v, shape); }

    static Tensor rnd(long seed, int... shape) {
        return Tensor.fromArray(uniform(seed, (int) Tensor.numel(shape), -1, 1), shape);
    }

    static double[] d(float[] f) {
        double[] r = new double[f.length];
        for (int i = 0; i < f.length; i++) r[i] = f[i];
        return r;
    }

    /** Row-major strides of shape (in elements). */
    static int[] strides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /** Multi-index of linear element i of shape. */
    static int[] coords(long i, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            c[d] = (int) (i % shape[d]);
            i /= shape[d];
        }
        return c;
    }

    /** Linear index of c in a row-major array of shape, with broadcasting (size-1 dims, missing leading dims). */
    static int bidx(int[] c, int[] shape) {
        int lead = c.length - shape.length;
        int idx = 0;
        for (int d = 0; d < shape.length; d++) {
            int k = shape[d] == 1 ? 0 : c[d + lead];
            idx = idx * shape[d] + k;
        }
        return idx;
    }

    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (e == a) continue;
            if (!(Math.abs(e - a) <= atol + rtol * Math.abs(e))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (diff " + Math.abs(e - a) + ")");
            }
        }
    }

    static void assertClose(double[] expected, Tensor actual, double atol, double rtol, String what) {
        assertClose(expected, actual.toFloatArray(), atol, rtol, what);
    }

    /** Exact f32 equality with the reference rounded to f32. */
    static void assertExact(double[] expected, Tensor actual, String what) {
        float[] a = actual.toFloatArray();
        assertEquals(expected.length, a.length, what + ": length");
        for (int i = 0; i < a.length; i++) {
            float e = (float) expected[i];
            if (Float.floatToIntBits(e) != Float.floatToIntBits(a[i]) && !(e == 0 && a[i] == 0)) {
                fail(what + ": element " + i + " expected " + e + " but was " + a[i]);
            }
        }
    }

    static void assertShape(Tensor t, int... shape) {
        if (!Arrays.equals(shape, t.shape())) fail("expected shape " + Arrays.toString(shape) + " but was " + Arrays.toString(t.shape()));
    }

    /** A non-contiguous [rows, cols] tensor with the given values: the transpose of a [cols, rows] buffer. */
    static Tensor transposedView(float[] rowMajor, int rows, int cols) {
        float[] tb = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) tb[c * rows + r] = rowMajor[r * cols + c];
        Tensor t = Tensor.fromArray(tb, cols, rows).t();
        if (t.isContiguous() && rows > 1 && cols > 1) fail("test setup: expected a non-contiguous view");
        return t;
    }

    /** A non-contiguous 1-D tensor with the given values: every other element of a buffer twice as long. */
    static Tensor steppedView(float[] v) {
        float[] b = new float[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            b[2 * i] = v[i];
            b[2 * i + 1] = Float.NaN;   // must never be read
        }
        return Tensor.fromArray(b, b.length).slice(0, 0, b.length, 2);
    }
}
