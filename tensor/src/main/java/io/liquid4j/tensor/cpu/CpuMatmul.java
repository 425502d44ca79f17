package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Batched matmul on top of {@link Gemm}: picks, per operand, the plain or transposed GEMM layout
 * that matches the view's strides (so x @ W.t() reads the [out,in] weight in place), and copies
 * only views that fit neither. Many small matrices (attention heads) run one GEMM per thread;
 * big ones let GEMM split its own tiles.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    /** GEMM operand layout of one [rows, cols] matrix view, or null if neither layout fits. */
    private record Layout(boolean trans, int ld) {
        static Layout of(int rows, int cols, long rs, long cs) {
            if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) return new Layout(false, rows == 1 ? Math.max(cols, 1) : (int) rs);
            if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) return new Layout(true, cols == 1 ? Math.max(rows, 1) : (int) cs);
            return null;
        }
    }

    static void matmul(Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() != DType.F32) throw new IllegalArgumentException("matmul: left operand must be F32, got " + a.dtype());
        if (out.dtype() != DType.F32 || !out.isContiguous()) throw new IllegalArgumentException("matmul: out must be contiguous F32");
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = w.size(2);
        Tensor ac = a, wc = w;
        Layout la = Layout.of(m, k, a.stride(1), a.stride(2));
        if (la == null) {
            ac = a.contiguous();
            la = Layout.of(m, k, ac.stride(1), ac.stride(2));
        }
        Layout lw = Layout.of(k, n, w.stride(1), w.stride(2));
        if (lw == null) {
            wc = w.contiguous();
            lw = Layout.of(k, n, wc.stride(1), wc.stride(2));
        }
        MemorySegment as = CpuElementwise.seg(ac), ws = CpuElementwise.seg(wc), os = CpuElementwise.seg(out);
        long aStride = ac.stride(0), wStride = wc.stride(0);
        long aOff = ac.offset(), wOff = wc.offset(), oOff = out.offset();
        DType wt = wc.dtype();
        int wsz = wt.byteSize();
        Layout fa = la, fw = lw;
        CpuThreads.RangeBody body = (s, e) -> {
            for (int b = s; b < e; b++) {
                Gemm.gemm(m, n, k,
                        as, (aOff + b * aStride) * 4, fa.ld(), fa.trans(),
                        ws, (wOff + b * wStride) * wsz, fw.ld(), fw.trans(), wt,
                        os, (oOff + (long) b * m * n) * 4, n, accumulate);
            }
        };
        long work = (long) m * n * k;
        if (batch > 1 && work < (1L << 21)) CpuThreads.parallelFor(batch, 1, body);
        else body.run(0, batch);
        if (ac != a) ac.close();
        if (wc != w) wc.close();
    }
}
