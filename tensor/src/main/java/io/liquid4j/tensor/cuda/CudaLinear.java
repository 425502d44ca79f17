package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Layout;
import io.liquid4j.tensor.Tensor;

/**
 * Backend.matmul on cuBLASLt. Each operand keeps its strides when they fit a GEMM layout (plain
 * or transposed: {@link Layout#gemmOperand}, as on the CPU); otherwise it is first copied to a
 * contiguous scratch buffer. cuBLASLt needs both inputs in one type, so a BF16/F16 weight is
 * widened to an F32 scratch copy (exact: the CPU also multiplies f32 activations by decoded
 * weights). Setting -Dliquid4j.cuda.matmul.lowPrecisionActivations=true instead rounds the F32
 * activations to the weight's type and runs the fast 16-bit GEMM (f32 accumulation) — faster,
 * less exact.
 */
final class CudaLinear {
    private static final boolean LOW_PRECISION_ACTIVATIONS = Boolean.getBoolean("liquid4j.cuda.matmul.lowPrecisionActivations");

    private CudaLinear() {}

    static int cudaType(DType t) {
        return switch (t) {
            case F32 -> CublasLt.R_32F;
            case BF16 -> CublasLt.R_16BF;
            case F16 -> CublasLt.R_16F;
            default -> throw new IllegalArgumentException("matmul needs floating operands, got " + t);
        };
    }

    /** A matrix operand, copied (and converted to `as`) into scratch when its layout or dtype does not fit. */
    private static final class Prepared implements AutoCloseable {
        final CudaMatmul.Operand op;
        private final CudaBackend be;
        private final long scratch, bytes;

        Prepared(CudaBackend be, Tensor t, DType as) {
            this.be = be;
            int batch = t.size(0), rows = t.size(1), cols = t.size(2);
            Layout.GemmOperand l = t.dtype() == as ? t.layout().gemmOperand() : null;
            if (l != null) {
                op = operand(CudaBackend.ptr(t), as, l);
                scratch = 0;
                bytes = 0;
                return;
            }
            // Shared weights (batch stride 0) are copied once, not once per batch.
            int copies = batch > 1 && t.stride(0) == 0 ? 1 : batch;
            bytes = (long) copies * rows * cols * as.byteSize();
            scratch = be.scratch(bytes);
            Layout dst = Layout.contiguous(copies, rows, cols);
            long[] d = Dims.of(dst.shape(), dst.strides(), t.strides());
            be.launchElementwise("l4j_copy", dst.numel(),
                    k -> k.struct(d).ptr(CudaBackend.ptr(t)).i32(t.dtype().ordinal()).ptr(scratch).i32(as.ordinal()));
            op = operand(scratch, as, dst.gemmOperand());     // a contiguous copy is always row-major
        }

        private static CudaMatmul.Operand operand(long ptr, DType type, Layout.GemmOperand l) {
            return new CudaMatmul.Operand(ptr, cudaType(type), l.transposed(), l.ld(), l.batchStride());
        }

        @Override public void close() { if (scratch != 0) be.release(scratch, bytes); }
    }

    static void matmul(CudaBackend be, Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() != DType.F32) throw new IllegalArgumentException("matmul: left operand must be F32, got " + a.dtype());
        if (out.dtype() != DType.F32 || !out.isContiguous()) throw new IllegalArgumentException("matmul: out must be contiguous F32");
        DType compute = LOW_PRECISION_ACTIVATIONS && w.dtype() != DType.F32 ? w.dtype() : DType.F32;
        run(be, a, w, out, accumulate, compute);
    }

    static void matmulLowPrecision(CudaBackend be, Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() != w.dtype() || a.dtype() == DType.F32 || !a.dtype().isFloating()) {
            throw new IllegalArgumentException("matmulLowPrecision needs both operands BF16 or both F16, got " + a.dtype() + " and " + w.dtype());
        }
        if (!out.isContiguous() || !out.dtype().isFloating()) throw new IllegalArgumentException("matmul: out must be contiguous floating");
        run(be, a, w, out, accumulate, a.dtype());
    }

    private static void run(CudaBackend be, Tensor a, Tensor w, Tensor out, boolean accumulate, DType compute) {
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = w.size(2);
        if (out.numel() == 0) return;
        if (k == 0) {
            if (!accumulate) be.fill(out, 0);
            return;
        }
        try (Prepared pa = new Prepared(be, a, compute); Prepared pw = new Prepared(be, w, compute)) {
            be.gemm().gemm(pa.op, pw.op, CudaBackend.ptr(out), cudaType(out.dtype()), m, n, k, batch, accumulate);
        }
    }
}
