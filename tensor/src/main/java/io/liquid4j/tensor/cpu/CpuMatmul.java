package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Layout;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Batched matmul on top of {@link Gemm}: picks, per operand, the plain or transposed GEMM layout
 * that matches the view's strides ({@link Layout#gemmOperand}: x @ W.t() reads the [out,in]
 * weight in place), and copies only views that fit neither. Many small matrices (attention heads)
 * run one GEMM per thread; big ones let GEMM split its own tiles.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    static void matmul(Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() != DType.F32) throw new IllegalArgumentException("matmul: left operand must be F32, got " + a.dtype());
        if (out.dtype() != DType.F32 || !out.isContiguous()) throw new IllegalArgumentException("matmul: out must be contiguous F32");
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = w.size(2);
        Tensor ac = a, wc = w;
        Layout.GemmOperand la = a.layout().gemmOperand();
        if (la == null) {
            ac = a.contiguous();
            la = ac.layout().gemmOperand();
        }
        Layout.GemmOperand lw = w.layout().gemmOperand();
        if (lw == null) {
            wc = w.contiguous();
            lw = wc.layout().gemmOperand();
        }
        MemorySegment as = CpuElementwise.seg(ac), ws = CpuElementwise.seg(wc), os = CpuElementwise.seg(out);
        long aStride = la.batchStride(), wStride = lw.batchStride();
        long aOff = ac.offset(), wOff = wc.offset(), oOff = out.offset();
        int lda = (int) la.ld(), ldw = (int) lw.ld();
        boolean ta = la.transposed(), tw = lw.transposed();
        DType wt = wc.dtype();
        int wsz = wt.byteSize();
        CpuThreads.RangeBody body = (s, e) -> {
            for (int b = s; b < e; b++) {
                Gemm.gemm(m, n, k,
                        as, (aOff + b * aStride) * 4, lda, ta,
                        ws, (wOff + b * wStride) * wsz, ldw, tw, wt,
                        os, (oOff + (long) b * m * n) * 4, n, accumulate);
            }
        };
        if (wholeProductsPerThread(batch, (long) m * n * k)) CpuThreads.parallelForChunks(batch, 1, body);
        else body.run(0, batch);
        if (ac != a) ac.close();
        if (wc != w) wc.close();
    }

    /**
     * outs[i] = x·w_iᵀ for x contiguous F32 [m, k], weights [n_i, k] and outs contiguous F32
     * [m, n_i] as one parallel job ({@link Gemm#gemvAll}) where every product is decode-sized and
     * the weights share a dtype; false, with nothing done, otherwise. Each output has the bits
     * {@link #matmul} gives it.
     */
    static boolean linears(Tensor x, Tensor[] weights, Tensor[] outs) {
        if (x.dtype() != DType.F32 || !x.isContiguous() || x.dim() != 2) return false;
        int m = x.size(0), k = x.size(1);
        GemmArgs[] gs = new GemmArgs[weights.length];
        MemorySegment xs = CpuElementwise.seg(x);
        for (int i = 0; i < weights.length; i++) {
            Tensor w = weights[i], out = outs[i];
            if (w.dim() != 2 || w.size(1) != k || out.dtype() != DType.F32 || !out.isContiguous()) return false;
            Layout.GemmOperand lw = w.t().unsqueeze(0).layout().gemmOperand();
            if (lw == null || !lw.transposed()) return false;
            int n = w.size(0);
            gs[i] = Gemm.args(m, n, k, xs, x.offset() * 4, k, false,
                    CpuElementwise.seg(w), w.offset() * w.dtype().byteSize(), (int) lw.ld(), true, w.dtype(),
                    CpuElementwise.seg(out), out.offset() * 4, n);
        }
        return Gemm.gemvAll(gs);
    }

    /**
     * Whether the threads should take whole products of the batch in turn (each GEMM then runs on
     * one thread) rather than run them one after another, each split inside GEMM. Small products
     * always: splitting one costs more than it saves. Larger ones when there are at least two per
     * thread: a GEMM whose m or n is small (a convolution's 16-64 output channels) splits into
     * fewer tiles than there are threads, or unevenly, and the other threads wait (a VQGAN training
     * step left its second thread idle 39% of the time, most of it in such products). Every output
     * element is computed the same way on whichever thread, so the bits do not change.
     */
    static boolean wholeProductsPerThread(int batch, long work) {
        if (batch <= 1) return false;
        return work < (1L << 21) || batch >= 2 * CpuThreads.threads();
    }
}
