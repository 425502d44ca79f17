package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;

/**
 * Launchers of index.cu and conv.cu. Index kernels report the first out-of-range index through
 * the backend's error flag, which is read back (a synchronisation) so that a bad index raises
 * the same IndexOutOfBoundsException as on the CPU instead of touching foreign memory.
 */
final class CudaIndexing {
    private final CudaBackend be;

    CudaIndexing(CudaBackend be) { this.be = be; }

    private static void requireIndex(Tensor idx) {
        if (idx.dtype().isFloating()) throw new IllegalArgumentException("indices must be integers, got " + idx.dtype());
    }

    private static void requireAddable(Tensor dst) {
        if (dst.dtype() == DType.U8) throw new IllegalArgumentException("cannot accumulate into a U8 tensor on CUDA");
    }

    void gather(Tensor x, int dim, Tensor idx, Tensor out) {
        requireIndex(idx);
        if (idx.numel() == 0) return;
        int bound = x.size(dim);
        long[] d = Dims.exact(idx.shape(), idx.strides(), out.strides(), x.strides());
        be.clearIndexError();
        be.launchElementwise("l4j_gather", idx.numel(), k -> k.struct(d).i32(dim).ptr(CudaBackend.ptr(x)).i32(CudaBackend.dt(x))
                .i64(x.stride(dim)).i64(bound).ptr(CudaBackend.ptr(idx)).i32(CudaBackend.dt(idx)).ptr(CudaBackend.ptr(out))
                .i32(CudaBackend.dt(out)).ptr(be.errBuf()));
        be.checkIndexError("gather", dim, bound);
    }

    void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) {
        requireIndex(idx);
        requireAddable(dst);
        if (idx.numel() == 0) return;
        int bound = dst.size(dim);
        long[] d = Dims.exact(idx.shape(), idx.strides(), src.strides(), dst.strides());
        be.clearIndexError();
        be.launchElementwise("l4j_scatter_add", idx.numel(), k -> k.struct(d).i32(dim).ptr(CudaBackend.ptr(dst))
                .i32(CudaBackend.dt(dst)).i64(dst.stride(dim)).i64(bound).ptr(CudaBackend.ptr(idx)).i32(CudaBackend.dt(idx))
                .ptr(CudaBackend.ptr(src)).i32(CudaBackend.dt(src)).ptr(be.errBuf()));
        be.checkIndexError("scatterAdd", dim, bound);
    }

    void indexSelect(Tensor x, int dim, Tensor idx, Tensor out) {
        requireIndex(idx);
        if (out.numel() == 0) return;
        int bound = x.size(dim);
        be.clearIndexError();
        if (dim == 0 && x.isContiguous() && out.isContiguous() && x.dtype() == out.dtype() && idx.isContiguous()) {
            long rowBytes = x.numel() / Math.max(1, bound) * x.dtype().byteSize();
            long k = idx.numel();
            be.launch("l4j_embedding", Math.min(k, 1L << 20), CudaRowOps.threadsFor(rowBytes / 4), 0,
                    a -> a.ptr(CudaBackend.ptr(x)).i64(bound).i64(rowBytes).ptr(CudaBackend.ptr(idx)).i32(CudaBackend.dt(idx))
                            .i64(k).ptr(CudaBackend.ptr(out)).ptr(be.errBuf()));
        } else {
            long[] d = Dims.exact(out.shape(), out.strides(), x.strides());
            be.launchElementwise("l4j_index_select", out.numel(), k -> k.struct(d).i32(dim).ptr(CudaBackend.ptr(x))
                    .i32(CudaBackend.dt(x)).i64(x.stride(dim)).i64(bound).ptr(CudaBackend.ptr(idx)).i32(CudaBackend.dt(idx))
                    .i64(idx.stride(0)).ptr(CudaBackend.ptr(out)).i32(CudaBackend.dt(out)).ptr(be.errBuf()));
        }
        be.checkIndexError("indexSelect", dim, bound);
    }

    void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) {
        requireIndex(idx);
        requireAddable(dst);
        if (src.numel() == 0) return;
        int bound = dst.size(dim);
        long[] d = Dims.exact(src.shape(), src.strides(), dst.strides());
        be.clearIndexError();
        be.launchElementwise("l4j_index_add", src.numel(), k -> k.struct(d).i32(dim).ptr(CudaBackend.ptr(dst))
                .i32(CudaBackend.dt(dst)).i64(dst.stride(dim)).i64(bound).ptr(CudaBackend.ptr(idx)).i32(CudaBackend.dt(idx))
                .i64(idx.stride(0)).ptr(CudaBackend.ptr(src)).i32(CudaBackend.dt(src)).ptr(be.errBuf()));
        be.checkIndexError("indexAdd", dim, bound);
    }

    private static int outSize(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

    private static void checkConv(Tensor x, Tensor cols) {
        if (x.dtype() != DType.F32 || cols.dtype() != DType.F32 || !x.isContiguous() || !cols.isContiguous() || x.dim() != 4) {
            throw new IllegalArgumentException("im2col/col2im need contiguous F32 [N,C,H,W] and cols, got " + x.describe() + " and " + cols.describe());
        }
    }

    void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        checkConv(x, cols);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        be.launchElementwise("l4j_im2col", (long) n * c * kh * kw * oh * ow, k -> k.ptr(CudaBackend.ptr(x)).i32(n).i32(c).i32(h).i32(w)
                .i32(kh).i32(kw).i32(sh).i32(sw).i32(ph).i32(pw).i32(oh).i32(ow).ptr(CudaBackend.ptr(cols)));
    }

    void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        checkConv(x, cols);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        be.launchElementwise("l4j_col2im", (long) n * c * h * w, k -> k.ptr(CudaBackend.ptr(cols)).i32(n).i32(c).i32(h).i32(w)
                .i32(kh).i32(kw).i32(sh).i32(sw).i32(ph).i32(pw).i32(oh).i32(ow).ptr(CudaBackend.ptr(x)));
    }
}
