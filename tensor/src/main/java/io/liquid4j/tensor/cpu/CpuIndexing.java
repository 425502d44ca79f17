package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * gather / scatter_add / index_select / index_add over strided views. Every index is range-checked
 * (a bad token id must give an error naming it, not read foreign memory). Scatter-style kernels
 * run single-threaded per destination slab because different sources may hit the same element.
 */
final class CpuIndexing {
    private CpuIndexing() {}

    private static long index(MemorySegment s, DType t, long at, int bound, String op, int dim) {
        long v = Access.getLong(s, t, at);
        if (v < 0 || v >= bound) {
            throw new IndexOutOfBoundsException(op + ": index " + v + " is out of range for dim " + dim + " of size " + bound);
        }
        return v;
    }

    /** Coordinates of linear element i of shape, row-major. */
    private static void coords(long i, int[] shape, int[] out) {
        for (int d = shape.length - 1; d >= 0; d--) {
            out[d] = (int) (i % shape[d]);
            i /= shape[d];
        }
    }

    private static long offsetOf(int[] c, long[] st, long base) {
        long o = base;
        for (int d = 0; d < c.length; d++) o += c[d] * st[d];
        return o;
    }

    static void gather(Tensor x, int dim, Tensor idx, Tensor out) {
        MemorySegment xs = CpuElementwise.seg(x), is = CpuElementwise.seg(idx), os = CpuElementwise.seg(out);
        int[] ishape = idx.shape();
        long[] xst = x.strides(), ist = idx.strides(), ost = out.strides();
        int bound = x.size(dim);
        DType t = x.dtype(), it = idx.dtype();
        int w = t.byteSize();
        long n = idx.numel();
        CpuThreads.parallelFor((int) n, 4096, (s, e) -> {
            int[] c = new int[ishape.length];
            for (int i = s; i < e; i++) {
                coords(i, ishape, c);
                long k = index(is, it, offsetOf(c, ist, idx.offset()), bound, "gather", dim);
                long od = offsetOf(c, ost, out.offset());
                int saved = c[dim];
                c[dim] = (int) k;
                long xd = offsetOf(c, xst, x.offset());
                c[dim] = saved;
                MemorySegment.copy(xs, xd * w, os, od * w, w);
            }
        });
    }

    static void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) {
        MemorySegment ds = CpuElementwise.seg(dst), is = CpuElementwise.seg(idx), ss = CpuElementwise.seg(src);
        int[] ishape = idx.shape();
        long[] dst_st = dst.strides(), ist = idx.strides(), sst = src.strides();
        int bound = dst.size(dim);
        int[] c = new int[ishape.length];
        long n = idx.numel();
        for (long i = 0; i < n; i++) {
            coords(i, ishape, c);
            long k = index(is, idx.dtype(), offsetOf(c, ist, idx.offset()), bound, "scatterAdd", dim);
            double v = Access.get(ss, src.dtype(), offsetOf(c, sst, src.offset()));
            c[dim] = (int) k;
            long at = offsetOf(c, dst_st, dst.offset());
            Access.put(ds, dst.dtype(), at, Access.get(ds, dst.dtype(), at) + v);
        }
    }

    static void indexSelect(Tensor x, int dim, Tensor idx, Tensor out, CpuBackend be) {
        int k = idx.size(0);
        int bound = x.size(dim);
        MemorySegment is = CpuElementwise.seg(idx);
        long[] rows = new long[k];
        for (int i = 0; i < k; i++) rows[i] = index(is, idx.dtype(), idx.offset() + i * idx.stride(0), bound, "indexSelect", dim);
        // each selected slab is a strided copy: x.select(dim, rows[i]) -> out.select(dim, i)
        if (dim == 0 && x.isContiguous() && out.isContiguous() && x.dtype() == out.dtype()) {
            long row = x.numel() / Math.max(1, bound) * x.dtype().byteSize();
            MemorySegment xs = CpuElementwise.seg(x), os = CpuElementwise.seg(out);
            long xo = x.offset() * x.dtype().byteSize(), oo = out.offset() * out.dtype().byteSize();
            CpuThreads.parallelFor(k, Math.max(1, (int) (65536 / Math.max(1, row))), (s, e) -> {
                for (int i = s; i < e; i++) MemorySegment.copy(xs, xo + rows[i] * row, os, oo + i * row, row);
            });
            return;
        }
        for (int i = 0; i < k; i++) {
            try (Tensor src = x.detach().narrow(dim, (int) rows[i], 1); Tensor dstv = out.detach().narrow(dim, i, 1)) {
                be.copy(src, dstv);
            }
        }
    }

    static void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) {
        int k = idx.size(0);
        int bound = dst.size(dim);
        MemorySegment is = CpuElementwise.seg(idx), ds = CpuElementwise.seg(dst), ss = CpuElementwise.seg(src);
        int[] sshape = src.shape();
        long[] sst = src.strides(), dstr = dst.strides();
        long n = src.numel();
        long[] rows = new long[k];
        for (int i = 0; i < k; i++) rows[i] = index(is, idx.dtype(), idx.offset() + i * idx.stride(0), bound, "indexAdd", dim);
        if (dim == 0 && dst.dtype() == DType.F32 && src.dtype() == DType.F32 && dst.isContiguous() && src.isContiguous()) {
            // an embedding's backward: whole rows added in index order, so repeated ids sum in the
            // order of the general path below; a float sum equals that path's double sum rounded
            // to float (double has more than 2·24 + 2 bits), so both give the same bits
            int row = (int) (n / Math.max(1, k));
            for (int i = 0; i < k; i++) {
                addRowF32(ss, (src.offset() + (long) i * row) * 4, ds, (dst.offset() + rows[i] * row) * 4, row);
            }
            return;
        }
        int[] c = new int[sshape.length];
        for (long i = 0; i < n; i++) {
            coords(i, sshape, c);
            double v = Access.get(ss, src.dtype(), offsetOf(c, sst, src.offset()));
            c[dim] = (int) rows[c[dim]];
            long at = offsetOf(c, dstr, dst.offset());
            Access.put(ds, dst.dtype(), at, Access.get(ds, dst.dtype(), at) + v);
        }
    }

    /** d[0, len) += s[0, len) in F32 (byte offsets). */
    private static void addRowF32(MemorySegment s, long so, MemorySegment d, long dOff, int len) {
        VectorSpecies<Float> sp = CpuElementwise.SP;
        int full = len - len % sp.length(), j = 0;
        for (; j < full; j += sp.length()) {
            FloatVector a = FloatVector.fromMemorySegment(sp, d, dOff + j * 4L, CpuElementwise.LE);
            a.add(FloatVector.fromMemorySegment(sp, s, so + j * 4L, CpuElementwise.LE)).intoMemorySegment(d, dOff + j * 4L, CpuElementwise.LE);
        }
        for (; j < len; j++) d.set(Access.F, dOff + j * 4L, d.get(Access.F, dOff + j * 4L) + s.get(Access.F, so + j * 4L));
    }
}
