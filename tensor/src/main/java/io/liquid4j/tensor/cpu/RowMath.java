package io.liquid4j.tensor.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised reductions over one contiguous f32 row (byte offset, length in elements). */
final class RowMath {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    /** Doubles per vector, and floats in a vector of the same lane count (widened to those doubles). */
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.length() * Float.SIZE));

    private RowMath() {}

    /**
     * Σ lanes in a fixed order, in double. reduceLanes(ADD) on floats may associate differently
     * in the interpreter and in JIT-compiled code, so the same row could round differently
     * depending on when it runs; results must not depend on timing.
     */
    static double sumLanes(FloatVector v) {
        double s = 0;
        // lane by lane, not through toArray(): that allocated a float[] per call (GBs a minute in
        // the many short rows of a VQGAN step's reductions)
        for (int i = 0; i < SP.length(); i++) s += v.lane(i);
        return s;
    }

    static double sum(MemorySegment m, long b, int n) {
        return sum(m, b, n, false);
    }

    /**
     * Σ x² of the row with {@link #sum}'s order and flushes, each square rounded to F32 first: the
     * bits of {@link #sum} over the row's squares written out (a product, then a sum). Not
     * {@link #sumSquares}, whose fused multiply-adds round once per term.
     */
    static double sumOfRoundedSquares(MemorySegment m, long b, int n) {
        return sum(m, b, n, true);
    }

    /** Σ x (or Σ x², each square rounded to F32): f32 lanes flushed into a double every 1024 elements to bound rounding error. */
    private static double sum(MemorySegment m, long b, int n, boolean squares) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        double total = 0;
        while (i <= n - w) {
            int end = Math.min(n - w, i + 1024);
            for (; i <= end; i += w) {
                FloatVector v = FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE);
                acc = acc.add(squares ? v.mul(v) : v);
            }
            total += sumLanes(acc);
            acc = FloatVector.zero(SP);
        }
        for (; i < n; i++) {
            float x = m.get(Access.F, b + i * 4L);
            total += squares ? x * x : x;
        }
        return total;
    }

    static float max(MemorySegment m, long b, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (; i <= n - w; i += w) acc = acc.max(FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE));
        float r = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, m.get(Access.F, b + i * 4L));
        return r;
    }

    /**
     * Index of the first largest (max) or smallest element of the row, or of its first NaN:
     * CpuReduce's generic ARGMAX/ARGMIN loop read with float loads instead of a dtype switch per
     * element (a greedy decode's argmax over 32000 logits: ~170 µs that way).
     */
    static long argExtreme(MemorySegment m, long b, int n, boolean max) {
        float best = m.get(Access.F, b);
        long at = 0;
        for (int k = 1; k < n && best == best; k++) {
            float v = m.get(Access.F, b + k * 4L);
            if ((max ? v > best : v < best) || v != v) {
                best = v;
                at = k;
            }
        }
        return at;
    }

    /** Σ exp(x − shift). */
    static double sumExp(MemorySegment m, long b, int n, float shift) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i <= n - w; i += w) {
            acc = acc.add(VectorMath.expScore(FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE).sub(shift)));
        }
        double r = sumLanes(acc);
        for (; i < n; i++) r += Math.exp(m.get(Access.F, b + i * 4L) - shift);
        return r;
    }

    /** Σ x². */
    static double sumSquares(MemorySegment m, long b, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i <= n - w; i += w) {
            FloatVector v = FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE);
            acc = v.fma(v, acc);
        }
        double r = sumLanes(acc);
        for (; i < n; i++) {
            float v = m.get(Access.F, b + i * 4L);
            r += v * v;
        }
        return r;
    }

    /** Σ (x − mu)², f32 lanes flushed into a double every 1024 elements (as {@link #sum}). */
    static double sumSquaredDeviations(MemorySegment m, long b, int n, float mu) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        double total = 0;
        while (i <= n - w) {
            int end = Math.min(n - w, i + 1024);
            for (; i <= end; i += w) {
                FloatVector d = FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE).sub(mu);
                acc = d.fma(d, acc);
            }
            total += sumLanes(acc);
            acc = FloatVector.zero(SP);
        }
        for (; i < n; i++) {
            double d = m.get(Access.F, b + i * 4L) - mu;
            total += d * d;
        }
        return total;
    }

    /** out = (x − mu)·inv (·w)(+ b) over one row; w and b may be null. */
    static void normalize(MemorySegment x, long xb, MemorySegment out, long ob, int n, float mu, float inv, float[] wv, float[] bv) {
        int w = SP.length(), i = 0;
        for (; i <= n - w; i += w) {
            FloatVector v = FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE).sub(mu).mul(inv);
            if (wv != null) v = v.mul(FloatVector.fromArray(SP, wv, i));
            if (bv != null) v = v.add(FloatVector.fromArray(SP, bv, i));
            v.intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
        }
        for (; i < n; i++) {
            float v = (x.get(Access.F, xb + i * 4L) - mu) * inv;
            if (wv != null) v *= wv[i];
            if (bv != null) v += bv[i];
            out.set(Access.F, ob + i * 4L, v);
        }
    }

    /** Σ g·w·x over one row (w null: Σ g·x), f32 lanes summed in double: RMSNorm backward's dot. */
    static double dotWeighted(MemorySegment g, long gb, float[] wv, MemorySegment x, long xb, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i <= n - w; i += w) {
            FloatVector gv = FloatVector.fromMemorySegment(SP, g, gb + i * 4L, CpuElementwise.LE);
            if (wv != null) gv = gv.mul(FloatVector.fromArray(SP, wv, i));
            acc = gv.fma(FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE), acc);
        }
        double r = sumLanes(acc);
        for (; i < n; i++) {
            float gv = g.get(Access.F, gb + i * 4L);
            if (wv != null) gv *= wv[i];
            r += gv * x.get(Access.F, xb + i * 4L);
        }
        return r;
    }

    /** out = inv·(g·w − x·c) over one row (w may be null): RMSNorm's input gradient. */
    static void rmsNormInputGrad(MemorySegment g, long gb, float[] wv, MemorySegment x, long xb, MemorySegment out, long ob, int n,
                                 float inv, float c) {
        int w = SP.length(), i = 0;
        for (; i <= n - w; i += w) {
            FloatVector gv = FloatVector.fromMemorySegment(SP, g, gb + i * 4L, CpuElementwise.LE);
            if (wv != null) gv = gv.mul(FloatVector.fromArray(SP, wv, i));
            FloatVector xv = FloatVector.fromMemorySegment(SP, x, xb + i * 4L, CpuElementwise.LE);
            gv.sub(xv.mul(c)).mul(inv).intoMemorySegment(out, ob + i * 4L, CpuElementwise.LE);
        }
        for (; i < n; i++) {
            float gv = g.get(Access.F, gb + i * 4L);
            if (wv != null) gv *= wv[i];
            out.set(Access.F, ob + i * 4L, (gv - x.get(Access.F, xb + i * 4L) * c) * inv);
        }
    }

    /**
     * acc[at + i] += (double) g[i]·x[i]·s for the n columns of one row, in double lanes: each
     * column the same operations as the scalar double loop (a norm's weight gradient, summed down
     * the rows in row order).
     */
    static void addScaledProducts(MemorySegment g, long gb, MemorySegment x, long xb, double s, double[] acc, int at, int n) {
        int w = DS.length(), i = 0;
        for (; i <= n - w; i += w) {
            DoubleVector gd = (DoubleVector) FloatVector.fromMemorySegment(FS, g, gb + i * 4L, CpuElementwise.LE).convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector xd = (DoubleVector) FloatVector.fromMemorySegment(FS, x, xb + i * 4L, CpuElementwise.LE).convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector.fromArray(DS, acc, at + i).add(gd.mul(xd).mul(s)).intoArray(acc, at + i);
        }
        for (; i < n; i++) acc[at + i] += g.get(Access.F, gb + i * 4L) * (double) x.get(Access.F, xb + i * 4L) * s;
    }
}
