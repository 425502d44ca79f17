package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OpsReduceTest {
    enum R { SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, LSE, VAR0, VAR1 }

    /** Reference reduction of a row-major array of shape along dim, in double. Output keeps dim as size 1. */
    static double[] ref(float[] x, int[] shape, int dim, R op) {
        int[] os = shape.clone();
        os[dim] = 1;
        int n = (int) Tensor.numel(os);
        int[] st = strides(shape);
        double[] r = new double[n];
        for (int o = 0; o < n; o++) {
            int[] c = coords(o, os);
            int base = 0;
            for (int d = 0; d < shape.length; d++) base += c[d] * st[d];
            int len = shape[dim];
            double acc;
            switch (op) {
                case SUM, MEAN -> {
                    acc = 0;
                    for (int k = 0; k < len; k++) acc += x[base + k * st[dim]];
                    if (op == R.MEAN) acc /= len;
                }
                case MAX, MIN, ARGMAX, ARGMIN -> {
                    int bi = 0;
                    double best = x[base];
                    for (int k = 1; k < len; k++) {
                        double v = x[base + k * st[dim]];
                        boolean better = op == R.MAX || op == R.ARGMAX ? v > best : v < best;
                        if (better) {
                            best = v;
                            bi = k;
                        }
                    }
                    acc = op == R.ARGMAX || op == R.ARGMIN ? bi : best;
                }
                case LSE -> {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < len; k++) m = Math.max(m, x[base + k * st[dim]]);
                    double s = 0;
                    for (int k = 0; k < len; k++) s += Math.exp(x[base + k * st[dim]] - m);
                    acc = m + Math.log(s);
                }
                default -> {
                    double mu = 0;
                    for (int k = 0; k < len; k++) mu += x[base + k * st[dim]];
                    mu /= len;
                    double ss = 0;
                    for (int k = 0; k < len; k++) ss += (x[base + k * st[dim]] - mu) * (x[base + k * st[dim]] - mu);
                    acc = ss / (len - (op == R.VAR1 ? 1 : 0));
                }
            }
            r[o] = acc;
        }
        return r;
    }

    static Tensor apply(Tensor t, int dim, R op, boolean keep) {
        return switch (op) {
            case SUM -> t.sum(dim, keep);
            case MEAN -> t.mean(dim, keep);
            case MAX -> t.max(dim, keep);
            case MIN -> t.min(dim, keep);
            case ARGMAX -> t.argmax(dim, keep);
            case ARGMIN -> t.argmin(dim, keep);
            case LSE -> t.logsumexp(dim, keep);
            case VAR0 -> t.var(dim, keep, 0);
            case VAR1 -> t.var(dim, keep, 1);
        };
    }

    static int[] dropDim(int[] s, int d) {
        int[] r = new int[s.length - 1];
        for (int i = 0, k = 0; i < s.length; i++) if (i != d) r[k++] = s[i];
        return r;
    }

    /** Checks op along every dim of shape for a contiguous input and for a permuted (non-contiguous) view of the same values. */
    void checkAllDims(int[] shape, long seed) {
        int n = (int) Tensor.numel(shape);
        float[] x = uniform(seed, n, -3, 3);
        for (R op : R.values()) {
            for (int dim = 0; dim < shape.length; dim++) {
                double[] e = ref(x, shape, dim, op);
                for (boolean keep : new boolean[] {true, false}) {
                    try (var _ = TensorScope.open()) {
                        Tensor t = tensor(x, shape);
                        Tensor r = apply(t, dim, op, keep);
                        int[] os = shape.clone();
                        os[dim] = 1;
                        assertShape(r, keep ? os : dropDim(shape, dim));
                        String what = op + " dim " + dim + " of " + Arrays.toString(shape) + " keep=" + keep;
                        check(op, e, r, shape[dim], what);
                        // negative dim gives the same
                        check(op, e, apply(t, dim - shape.length, op, keep), shape[dim], what + " (negative dim)");
                        // the same logical values stored reversed-dim order (a permuted, non-contiguous view)
                        Tensor nc = noncontiguousCopy(x, shape);
                        check(op, e, apply(nc, dim, op, keep), shape[dim], what + " (non-contiguous)");
                    }
                }
            }
        }
    }

    /** A view with the given logical values whose storage is in reversed-dim order. */
    static Tensor noncontiguousCopy(float[] x, int[] shape) {
        int nd = shape.length;
        int[] rs = new int[nd];
        for (int i = 0; i < nd; i++) rs[i] = shape[nd - 1 - i];
        float[] buf = new float[x.length];
        int[] rst = strides(rs);
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(i, shape);
            int at = 0;
            for (int d = 0; d < nd; d++) at += c[d] * rst[nd - 1 - d];
            buf[at] = x[i];
        }
        int[] perm = new int[nd];
        for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
        return Tensor.fromArray(buf, rs).permute(perm);
    }

    static void check(R op, double[] e, Tensor r, int len, String what) {
        if (op == R.ARGMAX || op == R.ARGMIN) {
            assertEquals(DType.I64, r.dtype(), what);
            long[] got = r.toLongArray();
            for (int i = 0; i < e.length; i++) assertEquals((long) e[i], got[i], what + " element " + i);
        } else if (op == R.MAX || op == R.MIN) {
            assertExact(e, r, what);
        } else {
            assertClose(e, r, 1e-6 * Math.sqrt(len) * 3, 2e-6, what);
        }
    }

    @Test
    void everyReductionAlongEveryDim() {
        checkAllDims(new int[] {4, 5, 6}, 1);
        checkAllDims(new int[] {7}, 2);
        checkAllDims(new int[] {3, 33}, 3);
        checkAllDims(new int[] {2, 1, 9}, 4);
    }

    @Test
    void largeRowsAndManyRows() {
        // one long row (> 16384: parallel paths) and many short rows
        checkAllDims(new int[] {2, 20011}, 5);
        checkAllDims(new int[] {1000, 7}, 6);
        // sums across rows wider than the column block of the f32 path (4096), tasks splitting mid-row
        checkAllDims(new int[] {3, 5, 5003}, 7);
        checkAllDims(new int[] {9, 2, 3000}, 8);
    }

    @Test
    void f32SumsOverLeadingDimsAreTheDoubleSumInRowOrder() {
        // the vectorised column path (inner > 1) sums each output in double, rows in order: the
        // scalar loop's bits, including the tails past whole vectors and tasks that split a block
        for (int[] shape : new int[][] {{5, 3, 37}, {16, 20011}, {3, 2, 8}, {7, 9}}) {
            float[] x = uniform(shape.length * 31 + shape[0], (int) Tensor.numel(shape), -3, 3);
            for (int dim = 0; dim < shape.length - 1; dim++) {
                double[] e = ref(x, shape, dim, R.SUM);
                float[] got = tensor(x, shape).sum(dim, true).toFloatArray();
                for (int i = 0; i < e.length; i++) assertEquals((float) e[i], got[i], "sum dim " + dim + " of " + Arrays.toString(shape) + " [" + i + "]");
            }
        }
    }

    @Test
    void bigSumAccuracy() {
        int n = 300007;
        float[] x = uniform(9, n, 0, 1);
        double e = 0;
        for (float v : x) e += v;
        assertEquals(e, tensor(x, n).sum().item(), e * 2e-7);
        assertEquals(e / n, tensor(x, n).mean().item(), e / n * 2e-7);
        // a stepped view of 2n values
        assertEquals(e, steppedView(x).sum().item(), e * 2e-7);
    }

    @Test
    void multiDimSumMeanVar() {
        int[] shape = {3, 4, 5, 2};
        float[] x = uniform(11, 120, -2, 2);
        Tensor t = tensor(x, shape);
        // sum over dims {0, 2}
        double[] e = new double[4 * 2];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 5; k++) for (int l = 0; l < 2; l++) e[j * 2 + l] += x[((i * 4 + j) * 5 + k) * 2 + l];
        Tensor s = t.sum(new int[] {2, 0}, false);
        assertShape(s, 4, 2);
        assertClose(e, s, 1e-5, 1e-6, "sum {0,2}");
        Tensor sk = t.sum(new int[] {0, -2}, true);
        assertShape(sk, 1, 4, 1, 2);
        assertClose(e, sk, 1e-5, 1e-6, "sum {0,-2} keep");
        double[] m = e.clone();
        for (int i = 0; i < m.length; i++) m[i] /= 15;
        assertClose(m, t.mean(new int[] {0, 2}, false), 1e-6, 1e-6, "mean {0,2}");
        // var over {1, 3}
        double[] v = new double[15];
        for (int i = 0; i < 3; i++) for (int k = 0; k < 5; k++) {
            double mu = 0;
            for (int j = 0; j < 4; j++) for (int l = 0; l < 2; l++) mu += x[((i * 4 + j) * 5 + k) * 2 + l];
            mu /= 8;
            double ss = 0;
            for (int j = 0; j < 4; j++) for (int l = 0; l < 2; l++) ss += Math.pow(x[((i * 4 + j) * 5 + k) * 2 + l] - mu, 2);
            v[i * 5 + k] = ss / 7;
        }
        assertClose(v, t.var(new int[] {1, 3}, false, 1), 1e-6, 1e-5, "var {1,3}");
        // total reductions are 0-d
        double tot = 0;
        for (float f : x) tot += f;
        assertShape(t.sum());
        assertEquals(tot, t.sum().item(), 1e-5);
        assertEquals(tot / 120, t.mean().item(), 1e-6);
    }

    /** Sum over dims in double: every element added into its output slot (the summed coordinates zeroed). */
    static double[] refSum(float[] x, int[] shape, int... dims) {
        int[] os = shape.clone();
        for (int d : dims) os[d] = 1;
        double[] r = new double[(int) Tensor.numel(os)];
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(i, shape);
            for (int d : dims) c[d] = 0;
            r[bidx(c, os)] += x[i];
        }
        return r;
    }

    @Test
    void sumsOverNeighbouringDimsAndDimsOfOne() {
        // sum merges runs of neighbouring summed dims of a contiguous tensor into one pass and skips dims of size 1
        int[] shape = {4, 3, 1, 5, 6};
        float[] x = uniform(21, 360, -2, 2);
        Tensor t = tensor(x, shape);
        for (int[] dims : new int[][] {{0, 3, 4}, {2, 3, 4}, {1, 2, 3}, {0, 1, 2, 3, 4}, {0, 2}, {3}}) {
            Tensor s = t.sum(dims, true);
            int[] os = shape.clone();
            for (int d : dims) os[d] = 1;
            assertShape(s, os);
            assertClose(refSum(x, shape, dims), s, 1e-5, 1e-6, "sum " + Arrays.toString(dims));
        }
        Tensor one = t.sum(new int[] {2}, false);            // only a dim of 1: the values themselves
        assertShape(one, 4, 3, 5, 6);
        assertClose(d(x), one, 0, 0, "sum over a dim of 1");
        t.sum(new int[] {2}, true).mulInPlace(0);                  // a tensor of its own, not t
        assertClose(d(x), t, 0, 0, "input after changing its sum over a dim of 1");
        // a non-contiguous view sums per dim: the transposed [6, 5, 12] of a [12, 5, 6] array
        Tensor p = tensor(x, 12, 5, 6).permute(2, 1, 0);
        float[] pc = p.contiguous().toFloatArray();
        assertClose(refSum(pc, new int[] {6, 5, 12}, 1, 2), p.sum(new int[] {1, 2}, true), 1e-5, 1e-6, "sum of a permuted view");
        // 16-bit input over several dims: the f32 sums rounded once
        Tensor h = t.to(DType.BF16);
        float[] hx = h.to(DType.F32).toFloatArray();
        double[] he = refSum(hx, shape, 0, 3, 4);
        Tensor hs = h.sum(new int[] {0, 3, 4}, true);
        assertEquals(DType.BF16, hs.dtype());
        for (int i = 0; i < he.length; i++) assertEquals((float) he[i], hs.to(DType.F32).toFloatArray()[i], Math.abs(he[i]) * 8e-3 + 1e-3, "bf16 sum " + i);
        // the gradient of a sum over dims {0, 3, 4} reaches every element once
        Tensor g = tensor(x, shape).requiresGrad(true);
        g.sum(new int[] {0, 3, 4}, false).mul(tensor(new float[] {1, 2, 3}, 3, 1)).sum().backward();
        float[] gx = g.grad().toFloatArray();
        for (int i = 0; i < gx.length; i++) assertEquals(coords(i, shape)[1] + 1, gx[i], 0, "grad " + i);
    }

    @Test
    void maxMinTiesNaNAndExpandedInput() {
        Tensor t = tensor(new float[] {1, 3, 3, 0, -2, -2, -2, 5}, 2, 4);
        assertArrayEquals(new long[] {1, 3}, t.argmax(1, false).toLongArray(), "first max wins");
        assertArrayEquals(new long[] {3, 0}, t.argmin(1, false).toLongArray(), "first min wins");
        assertArrayEquals(new float[] {3, 5}, t.max(1, false).toFloatArray());
        assertArrayEquals(new float[] {0, -2}, t.min(1, false).toFloatArray());
        assertEquals(5, t.max().item());
        assertEquals(-2, t.min().item());
        Tensor nan = tensor(new float[] {1, Float.NaN, 7}, 3);
        assertTrue(Double.isNaN(nan.max().item()), "max propagates NaN");
        assertTrue(Double.isNaN(nan.min().item()), "min propagates NaN");
        assertEquals(1, nan.argmax(0, false).item());
        // reduction over an expanded (stride-0) dim
        Tensor e = tensor(new float[] {1, 2, 3}, 3, 1).expand(3, 5);
        assertArrayEquals(new float[] {5, 10, 15}, e.sum(1, false).toFloatArray());
        assertArrayEquals(new float[] {6, 6, 6, 6, 6}, e.sum(0, false).toFloatArray());
        assertArrayEquals(new long[] {2, 2, 2, 2, 2}, e.argmax(0, false).toLongArray());
    }

    @Test
    void logsumexpIsStable() {
        Tensor t = tensor(new float[] {1000, 1000, -1000, -1000, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 0, Float.NEGATIVE_INFINITY}, 4, 2);
        float[] r = t.logsumexp(1, false).toFloatArray();
        assertEquals(1000 + Math.log(2), r[0], 1e-4);
        assertEquals(-1000 + Math.log(2), r[1], 1e-4);
        assertEquals(Float.NEGATIVE_INFINITY, r[2]);
        assertEquals(0, r[3], 0);
        // -inf entries in long rows (vector body) and a whole -inf row
        float[] xm = uniform(5, 2 * 37, -5, 5);
        for (int i = 0; i < 37; i += 3) xm[i] = Float.NEGATIVE_INFINITY;
        for (int i = 37; i < 74; i++) xm[i] = Float.NEGATIVE_INFINITY;
        double[] e = ref(xm, new int[] {2, 37}, 1, R.LSE);
        float[] got = tensor(xm, 2, 37).logsumexp(1, false).toFloatArray();
        assertEquals(e[0], got[0], 2e-6 * Math.abs(e[0]));
        assertEquals(Float.NEGATIVE_INFINITY, got[1]);
        // BF16 input goes through the general path
        float[] x = uniform(3, 1000, -5, 5);
        Tensor b = tensor(x, 1000).to(DType.BF16);
        float[] held = b.toFloatArray();
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float v : held) m = Math.max(m, v);
        for (float v : held) s += Math.exp(v - m);
        assertEquals(DType.BF16, b.logsumexp(0, false).dtype());
        assertEquals(m + Math.log(s), b.logsumexp(0, false).item(), Math.abs(m + Math.log(s)) / 128);
    }

    @Test
    void integerAndSixteenBitSums() {
        long big = (1L << 53) + 1;
        Tensor i = Tensor.fromArray(new long[] {big, 1, 1, big}, 2, 2);
        assertEquals(DType.I64, i.sum(1, false).dtype());
        assertArrayEquals(new long[] {big + 1, big + 1}, i.sum(1, false).toLongArray());
        assertArrayEquals(new long[] {2 * big + 2}, i.sum(new int[] {0, 1}, false).reshape(1).toLongArray());
        Tensor u = Tensor.fromArray(new byte[] {(byte) 255, (byte) 255, 1}, 3);
        assertEquals(DType.I64, u.sum().dtype());
        assertEquals(511, u.sum().item());
        Tensor i32 = Tensor.fromArray(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE}, 2);
        assertEquals(2L * Integer.MAX_VALUE, i32.sum().item(), "I32 sums to I64 without overflow");
        assertArrayEquals(new long[] {1, 0}, Tensor.fromArray(new int[] {5, 9, 2, 1}, 2, 2).argmax(1, false).toLongArray());
        // BF16 sum keeps BF16 and rounds the exact sum once
        float[] x = uniform(4, 333, 0, 1);
        Tensor b = tensor(x, 333).to(DType.BF16);
        double e = 0;
        for (float v : b.toFloatArray()) e += v;
        assertEquals(DType.BF16, b.sum().dtype());
        assertEquals(DType.bf16ToFloat(DType.floatToBf16((float) e)), (float) b.sum().item());
        // a 16-bit sum over several dims accumulates in f32 and rounds once (not once per dim):
        // rows of 257 ones would each round to 256, giving 768 instead of bf16(771) = 772
        Tensor ones = Tensor.ones(DType.BF16, Device.CPU, 3, 257);
        assertEquals(772, ones.sum().item(), "BF16 sum over two dims");
        assertEquals(772, ones.sum(new int[] {0, 1}, true).item(), "BF16 sum over two dims, keepdim");
        assertEquals(DType.BF16, ones.sum().dtype());
        assertEquals(DType.F16, Tensor.ones(DType.F16, Device.CPU, 3, 2049).sum().dtype());
        assertEquals(6148, Tensor.ones(DType.F16, Device.CPU, 3, 2049).sum().item(), "F16: 3 x 2049 = 6147 rounds to 6148");
        // integer mean/var promote to floating through division
        assertEquals(2.5, Tensor.fromArray(new long[] {1, 2, 3, 4}, 4).to(DType.F32).mean().item(), 0);
    }

    @Test
    void emptyAndBadDims() {
        Tensor e = Tensor.zeros(3, 0);
        assertArrayEquals(new float[] {0, 0, 0}, e.sum(1, false).toFloatArray());
        assertShape(e.sum(0, false), 0);
        var ex = assertThrows(IllegalArgumentException.class, () -> e.max(1, false));
        assertTrue(ex.getMessage().contains("empty"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> e.argmax(1, false));
        Tensor t = Tensor.zeros(2, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> t.sum(2, false));
        assertThrows(IndexOutOfBoundsException.class, () -> t.sum(-3, false));
        assertThrows(IndexOutOfBoundsException.class, () -> t.max(5, true));
        assertThrows(IndexOutOfBoundsException.class, () -> t.logsumexp(2, true));
        assertThrows(IllegalArgumentException.class, () -> t.sum(new int[] {1, -1}, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.scalar(1).argmax(0, false));
    }
}
