package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.ReduceOp;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions along one dim. The input is viewed as [outer, n, inner] (made contiguous first if
 * needed); each output element reduces n values spaced `inner` apart. Sums accumulate in double
 * so large reductions stay accurate; work splits over output elements.
 */
final class CpuReduce {
    private CpuReduce() {}

    static void reduce(ReduceOp op, Tensor x, int dim, Tensor out, CpuBackend be) {
        Tensor c = x;
        if (!x.isContiguous()) {
            c = Tensor.empty(x.dtype(), x.shape());
            be.copy(x, c);
        }
        try {
            run(op, c, dim, out);
        } finally {
            if (c != x) c.close();
        }
    }

    private static void run(ReduceOp op, Tensor x, int dim, Tensor out) {
        int[] s = x.shape();
        long outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= s[d];
        for (int d = dim + 1; d < s.length; d++) inner *= s[d];
        int n = s[dim];
        MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out);
        DType xt = x.dtype(), ot = out.dtype();
        long xo = x.offset(), oo = out.offset();
        long total = outer * inner;
        if (total > Integer.MAX_VALUE) throw new IllegalStateException("reduction output too large");
        long in = inner;
        int grain = Math.max(1, 16384 / Math.max(1, n));
        boolean f32Rows = xt == DType.F32 && inner == 1;
        boolean f32Columns = xt == DType.F32 && inner > 1 && op == ReduceOp.SUM && ot.isFloating();
        CpuThreads.parallelFor((int) total, grain, (start, end) -> {
            for (int o = start; o < end; o++) {
                if (f32Columns) {     // a run of outputs within one outer block: neighbouring columns
                    long ob = o / in, ib = o % in;
                    int run = (int) Math.min(end - o, in - ib);
                    columnSums(xs, (xo + ob * n * in + ib) * 4, in * 4, n, run, os, ot, oo + o);
                    o += run - 1;
                    continue;
                }
                long ob = o / in, ib = o % in;
                long base = xo + ob * n * in + ib;
                if (f32Rows && (op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.LOGSUMEXP)) {
                    double r = switch (op) {
                        case SUM -> RowMath.sum(xs, base * 4, n);
                        case MAX -> RowMath.max(xs, base * 4, n);
                        default -> {
                            float m = RowMath.max(xs, base * 4, n);
                            yield Float.isInfinite(m) ? m : m + Math.log(RowMath.sumExp(xs, base * 4, n, m));
                        }
                    };
                    Access.put(os, ot, oo + o, r);
                    continue;
                }
                if (f32Rows && (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN)) {
                    Access.putLong(os, ot, oo + o, RowMath.argExtreme(xs, base * 4, n, op == ReduceOp.ARGMAX));
                    continue;
                }
                switch (op) {
                    case SUM -> {
                        if (!ot.isFloating()) {
                            long acc = 0;
                            for (int k = 0; k < n; k++) acc += Access.getLong(xs, xt, base + k * in);
                            Access.putLong(os, ot, oo + o, acc);
                        } else {
                            double acc = 0;
                            for (int k = 0; k < n; k++) acc += Access.get(xs, xt, base + k * in);
                            Access.put(os, ot, oo + o, acc);
                        }
                    }
                    case MAX, MIN -> {
                        double best = Access.get(xs, xt, base);
                        for (int k = 1; k < n; k++) {
                            double v = Access.get(xs, xt, base + k * in);
                            if (op == ReduceOp.MAX ? (v > best || Double.isNaN(v)) : (v < best || Double.isNaN(v))) best = v;
                            if (Double.isNaN(best)) break;
                        }
                        Access.put(os, ot, oo + o, best);
                    }
                    case ARGMAX, ARGMIN -> {
                        double best = Access.get(xs, xt, base);
                        long bi = 0;
                        for (int k = 1; k < n && !Double.isNaN(best); k++) {
                            double v = Access.get(xs, xt, base + k * in);
                            if (op == ReduceOp.ARGMAX ? (v > best || Double.isNaN(v)) : (v < best || Double.isNaN(v))) {
                                best = v;
                                bi = k;
                            }
                        }
                        Access.putLong(os, ot, oo + o, bi);
                    }
                    case LOGSUMEXP -> {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int k = 0; k < n; k++) m = Math.max(m, Access.get(xs, xt, base + k * in));
                        if (Double.isInfinite(m)) {
                            Access.put(os, ot, oo + o, m);
                            break;
                        }
                        double acc = 0;
                        for (int k = 0; k < n; k++) acc += Math.exp(Access.get(xs, xt, base + k * in) - m);
                        Access.put(os, ot, oo + o, m + Math.log(acc));
                    }
                }
            }
        });
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;

    /**
     * out[j] = Σ_k x[k·stride + j] for j < count, F32 x at byte offset at (rows stride bytes
     * apart): the reduction of a leading dim (a batch of gradients summed into one weight's).
     * Eight neighbouring columns at a time, each lane summing in double in row order — the bits
     * of the scalar loop, which read each element through the dtype switch one column at a time.
     */
    private static void columnSums(MemorySegment xs, long at, long stride, int n, int count, MemorySegment os, DType ot, long outAt) {
        int j = 0;
        for (; j + 8 <= count; j += 8) {
            DoubleVector lo = DoubleVector.zero(D4), hi = DoubleVector.zero(D4);
            for (int k = 0; k < n; k++) {
                FloatVector v = FloatVector.fromMemorySegment(F8, xs, at + k * stride + 4L * j, ByteOrder.LITTLE_ENDIAN);
                lo = lo.add((DoubleVector) v.convertShape(VectorOperators.F2D, D4, 0));
                hi = hi.add((DoubleVector) v.convertShape(VectorOperators.F2D, D4, 1));
            }
            for (int l = 0; l < 4; l++) {
                Access.put(os, ot, outAt + j + l, lo.lane(l));
                Access.put(os, ot, outAt + j + 4 + l, hi.lane(l));
            }
        }
        for (; j < count; j++) {
            double acc = 0;
            for (int k = 0; k < n; k++) acc += xs.get(Access.F, at + k * stride + 4L * j);
            Access.put(os, ot, outAt + j, acc);
        }
    }
}
