package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused kernels over the last dimension of contiguous F32 tensors: softmax / log-softmax and
 * RMSNorm / LayerNorm, forward and backward. One pass per row group, rows split over threads;
 * LayerNorm's weight gradients are a second pass split by columns, each column summed over all
 * rows in order, RMSNorm's are summed in its one pass as partials over fixed blocks of rows,
 * added in block order: either way the same bits on any number of threads (per-thread partials
 * merged as the threads finished made them depend on the thread count, and with three or more
 * threads on which finished first).
 */
final class CpuRowOps {
    private static final FloatVectorHelper V = new FloatVectorHelper();

    private CpuRowOps() {}

    private static void requireF32Contiguous(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && (t.dtype() != DType.F32 || !t.isContiguous())) {
                throw new IllegalArgumentException(op + " kernel needs contiguous F32 tensors, got " + t.describe());
            }
        }
    }

    static void softmax(Tensor x, Tensor out, boolean log) {
        requireF32Contiguous("softmax", x, out);
        int n = x.size(-1);
        int rows = (int) (x.numel() / Math.max(1, n));
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out);
        long xo = x.offset() * 4, oo = out.offset() * 4;
        CpuThreads.parallelFor(rows, Math.max(1, 8192 / Math.max(1, n)), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = xo + (long) r * n * 4, ob = oo + (long) r * n * 4;
                float m = RowMath.max(xs, xb, n);
                if (m == Float.NEGATIVE_INFINITY) m = 0;     // an all -inf row gives NaN like PyTorch via 0/0 below
                if (log) {
                    // (x − m) − log Σ as PyTorch: x − m is exact near the max, whereas folding
                    // m + log Σ into one shift would round it at ulp(m) for large logits
                    float logSum = (float) Math.log(RowMath.sumExp(xs, xb, n, m));
                    V.affine(xs, xb, os, ob, n, 1f, -m);
                    V.affine(os, ob, os, ob, n, 1f, -logSum);
                } else {
                    float sum = V.expShift(xs, xb, os, ob, n, m);
                    V.affine(os, ob, os, ob, n, 1f / sum, 0f);
                }
            }
        });
    }

    static void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        requireF32Contiguous("softmax backward", y, gy, gx);
        int n = y.size(-1);
        int rows = (int) (y.numel() / Math.max(1, n));
        MemorySegment ys = CpuElementwise.seg(y), gs = CpuElementwise.seg(gy), xs = CpuElementwise.seg(gx);
        long yo = y.offset() * 4, go = gy.offset() * 4, xo = gx.offset() * 4;
        CpuThreads.parallelFor(rows, Math.max(1, 8192 / Math.max(1, n)), (s, e) -> {
            for (int r = s; r < e; r++) {
                long yb = yo + (long) r * n * 4, gb = go + (long) r * n * 4, xb = xo + (long) r * n * 4;
                if (log) {
                    double sum = RowMath.sum(gs, gb, n);
                    for (int i = 0; i < n; i++) {
                        xs.set(Access.F, xb + i * 4L, (float) (gs.get(Access.F, gb + i * 4L) - Math.exp(ys.get(Access.F, yb + i * 4L)) * sum));
                    }
                } else {
                    double dot = V.dot(ys, yb, gs, gb, n);
                    for (int i = 0; i < n; i++) {
                        float yv = ys.get(Access.F, yb + i * 4L);
                        xs.set(Access.F, xb + i * 4L, (float) (yv * (gs.get(Access.F, gb + i * 4L) - dot)));
                    }
                }
            }
        });
    }

    /** Decodes a 1-D weight (any floating dtype, any stride) to f32, or null. */
    static float[] weights(Tensor w, int n) {
        if (w == null) return null;
        if (w.numel() != n) throw new IllegalArgumentException("norm weight has " + w.numel() + " elements, rows have " + n);
        float[] r = new float[n];
        MemorySegment s = CpuElementwise.seg(w);
        long st = w.stride(0);
        for (int i = 0; i < n; i++) r[i] = (float) Access.get(s, w.dtype(), w.offset() + i * st);
        return r;
    }

    /**
     * Columns per range of LayerNorm's weight-gradient sums: enough to keep a range's row reads
     * a few cache lines long, few enough that a 128-wide row still splits across threads.
     */
    private static final int COLUMN_GRAIN = 32;

    static void rmsNorm(Tensor x, Tensor w, double eps, Tensor out, Tensor rstd) {
        requireF32Contiguous("rmsNorm", x, out, rstd);
        int n = x.size(-1);
        int rows = (int) (x.numel() / Math.max(1, n));
        float[] wv = weights(w, n);
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out), rs = CpuElementwise.seg(rstd);
        long xo = x.offset() * 4, oo = out.offset() * 4, ro = rstd.offset() * 4;
        CpuThreads.parallelFor(rows, Math.max(1, 8192 / Math.max(1, n)), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = xo + (long) r * n * 4, ob = oo + (long) r * n * 4;
                float inv = (float) (1 / Math.sqrt(RowMath.sumSquares(xs, xb, n) / n + eps));
                rs.set(Access.F, ro + r * 4L, inv);
                if (wv == null) V.affine(xs, xb, os, ob, n, inv, 0f);
                else V.scaleMul(xs, xb, wv, os, ob, n, inv);
            }
        });
    }

    /**
     * Rows per partial sum of RMSNorm's weight gradient: a fixed number, not a thread's share, so
     * the partials and their in-order total are the same on any number of threads.
     */
    private static final int WEIGHT_GRAD_ROWS = 64;

    static void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor gy, Tensor gx, Tensor gw) {
        requireF32Contiguous("rmsNorm backward", x, rstd, gy, gx);
        int n = x.size(-1);
        int rows = (int) (x.numel() / Math.max(1, n));
        float[] wv = weights(w, n);
        MemorySegment xs = CpuElementwise.seg(x), rs = CpuElementwise.seg(rstd), gs = CpuElementwise.seg(gy), os = CpuElementwise.seg(gx);
        long xo = x.offset() * 4, ro = rstd.offset() * 4, go = gy.offset() * 4, oo = gx.offset() * 4;
        // One pass over the rows: each row's input gradient in f32 vectors (the dot's lanes summed
        // in double; the scalar double loops took ~1 ms per [2634, 128] call, 3.8% of a demo LM
        // step's backend time), and its gy·x·inv added into the partial weight gradient of its
        // block of WEIGHT_GRAD_ROWS rows (double lanes, rows in order); the partials are then
        // summed in block order. A second pass over gy and x for gw, split by columns, took a
        // third of the op's time.
        int blocks = (rows + WEIGHT_GRAD_ROWS - 1) / WEIGHT_GRAD_ROWS;
        double[] partial = gw == null ? null : new double[blocks * n];
        CpuThreads.parallelFor(blocks, Math.max(1, 4096 / Math.max(1, n * WEIGHT_GRAD_ROWS)), (s, e) -> {
            for (int blk = s; blk < e; blk++) {
                for (int r = blk * WEIGHT_GRAD_ROWS; r < Math.min(rows, (blk + 1) * WEIGHT_GRAD_ROWS); r++) {
                    long xb = xo + (long) r * n * 4, gb = go + (long) r * n * 4, ob = oo + (long) r * n * 4;
                    float inv = rs.get(Access.F, ro + r * 4L);
                    float c = (float) ((double) inv * inv * RowMath.dotWeighted(gs, gb, wv, xs, xb, n) / n);
                    RowMath.rmsNormInputGrad(gs, gb, wv, xs, xb, os, ob, n, inv, c);
                    if (partial != null) RowMath.addScaledProducts(gs, gb, xs, xb, inv, partial, blk * n, n);
                }
            }
        });
        if (gw == null) return;
        double[] gwTotal = new double[n];
        for (int blk = 0; blk < blocks; blk++) {
            for (int i = 0; i < n; i++) gwTotal[i] += partial[blk * n + i];
        }
        store(gw, gwTotal);
    }

    static void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out, Tensor mean, Tensor rstd) {
        requireF32Contiguous("layerNorm", x, out, mean, rstd);
        int n = x.size(-1);
        int rows = (int) (x.numel() / Math.max(1, n));
        float[] wv = weights(w, n), bv = weights(b, n);
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out), ms = CpuElementwise.seg(mean), rs = CpuElementwise.seg(rstd);
        long xo = x.offset() * 4, oo = out.offset() * 4, mo = mean.offset() * 4, ro = rstd.offset() * 4;
        CpuThreads.parallelFor(rows, Math.max(1, 8192 / Math.max(1, n)), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = xo + (long) r * n * 4, ob = oo + (long) r * n * 4;
                float mu = (float) (RowMath.sum(xs, xb, n) / n);
                double var = RowMath.sumSquaredDeviations(xs, xb, n, mu);
                float inv = (float) (1 / Math.sqrt(var / n + eps));
                ms.set(Access.F, mo + r * 4L, mu);
                rs.set(Access.F, ro + r * 4L, inv);
                RowMath.normalize(xs, xb, os, ob, n, mu, inv, wv, bv);
            }
        });
    }

    static void layerNormBackward(Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        requireF32Contiguous("layerNorm backward", x, mean, rstd, gy, gx);
        int n = x.size(-1);
        int rows = (int) (x.numel() / Math.max(1, n));
        float[] wv = weights(w, n);
        MemorySegment xs = CpuElementwise.seg(x), ms = CpuElementwise.seg(mean), rs = CpuElementwise.seg(rstd),
                gs = CpuElementwise.seg(gy), os = CpuElementwise.seg(gx);
        long xo = x.offset() * 4, mo = mean.offset() * 4, ro = rstd.offset() * 4, go = gy.offset() * 4, oo = gx.offset() * 4;
        CpuThreads.parallelFor(rows, Math.max(1, 4096 / Math.max(1, n)), (s, e) -> {
            double[] xhat = new double[n], gh = new double[n];
            for (int r = s; r < e; r++) {
                long xb = xo + (long) r * n * 4, gb2 = go + (long) r * n * 4, ob = oo + (long) r * n * 4;
                double mu = ms.get(Access.F, mo + r * 4L), inv = rs.get(Access.F, ro + r * 4L);
                double sumG = 0, sumGX = 0;
                for (int i = 0; i < n; i++) {
                    xhat[i] = (xs.get(Access.F, xb + i * 4L) - mu) * inv;
                    gh[i] = gs.get(Access.F, gb2 + i * 4L) * (wv == null ? 1 : wv[i]);
                    sumG += gh[i];
                    sumGX += gh[i] * xhat[i];
                }
                double mg = sumG / n, mgx = sumGX / n;
                for (int i = 0; i < n; i++) os.set(Access.F, ob + i * 4L, (float) (inv * (gh[i] - mg - xhat[i] * mgx)));
            }
        });
        if (gw == null && gb == null) return;
        // gw[i] = Σ_r gy·x̂, gb[i] = Σ_r gy: split by columns, summed over the rows in order (thread-count independent bits)
        double[] gwTotal = gw != null ? new double[n] : null, gbTotal = gb != null ? new double[n] : null;
        CpuThreads.parallelFor(n, COLUMN_GRAIN, (s, e) -> {
            for (int r = 0; r < rows; r++) {
                long xb = xo + (long) r * n * 4, gb2 = go + (long) r * n * 4;
                double mu = ms.get(Access.F, mo + r * 4L), inv = rs.get(Access.F, ro + r * 4L);
                for (int i = s; i < e; i++) {
                    double g = gs.get(Access.F, gb2 + i * 4L);
                    if (gwTotal != null) gwTotal[i] += g * ((xs.get(Access.F, xb + i * 4L) - mu) * inv);
                    if (gbTotal != null) gbTotal[i] += g;
                }
            }
        });
        if (gw != null) store(gw, gwTotal);
        if (gb != null) store(gb, gbTotal);
    }

    /** Adds the reduced values into a 1-D gradient tensor (accumulating, as gradients do). */
    private static void store(Tensor g, double[] v) {
        MemorySegment s = CpuElementwise.seg(g);
        long st = g.stride(0);
        for (int i = 0; i < v.length; i++) {
            long at = g.offset() + i * st;
            Access.put(s, g.dtype(), at, Access.get(s, g.dtype(), at) + v[i]);
        }
    }

    /** Small vector helpers over contiguous f32 rows. */
    static final class FloatVectorHelper {
        private static final jdk.incubator.vector.VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

        /** out = in·a + b. */
        void affine(MemorySegment in, long ib, MemorySegment out, long ob, int n, float a, float b) {
            int w = SP.length(), i = 0;
            for (; i <= n - w; i += w) {
                FloatVector.fromMemorySegment(SP, in, ib + i * 4L, CpuElementwise.LE).mul(a).add(b)
                        .intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
            }
            for (; i < n; i++) out.set(Access.F, ob + i * 4L, in.get(Access.F, ib + i * 4L) * a + b);
        }

        /** out = exp(in − m); returns Σ out. */
        float expShift(MemorySegment in, long ib, MemorySegment out, long ob, int n, float m) {
            int w = SP.length(), i = 0;
            FloatVector acc = FloatVector.zero(SP);
            for (; i <= n - w; i += w) {
                FloatVector e = VectorMath.expScore(FloatVector.fromMemorySegment(SP, in, ib + i * 4L, CpuElementwise.LE).sub(m));
                e.intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
                acc = acc.add(e);
            }
            double sum = RowMath.sumLanes(acc);
            for (; i < n; i++) {
                float e = (float) Math.exp(in.get(Access.F, ib + i * 4L) - m);
                out.set(Access.F, ob + i * 4L, e);
                sum += e;
            }
            return (float) sum;
        }

        /** out = in · s · w. */
        void scaleMul(MemorySegment in, long ib, float[] wv, MemorySegment out, long ob, int n, float s) {
            int w = SP.length(), i = 0;
            for (; i <= n - w; i += w) {
                FloatVector.fromMemorySegment(SP, in, ib + i * 4L, CpuElementwise.LE).mul(s).mul(FloatVector.fromArray(SP, wv, i))
                        .intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
            }
            for (; i < n; i++) out.set(Access.F, ob + i * 4L, in.get(Access.F, ib + i * 4L) * s * wv[i]);
        }

        double dot(MemorySegment a, long ab, MemorySegment b, long bb, int n) {
            int w = SP.length(), i = 0;
            FloatVector acc = FloatVector.zero(SP);
            for (; i <= n - w; i += w) {
                acc = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, CpuElementwise.LE)
                        .fma(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, CpuElementwise.LE), acc);
            }
            double r = RowMath.sumLanes(acc);
            for (; i < n; i++) r += a.get(Access.F, ab + i * 4L) * b.get(Access.F, bb + i * 4L);
            return r;
        }
    }
}
