package io.liquid4j.tensor.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Batched GEMM through cuBLASLt with f32 accumulation. Row-major liquid4j matrices are handed to
 * column-major cuBLASLt as their transposes: out[M,N] (row-major) = (W^T · A^T)^T, so cuBLASLt's
 * "A" is our weight and its "B" our activation, and a transposed view becomes an op flag rather
 * than a copy. Descriptors and the heuristic's chosen algorithm are cached per problem shape.
 */
final class CudaMatmul {
    /** One operand: device pointer, cuda data type, whether stored transposed, leading dim, batch stride (elements). */
    record Operand(long ptr, int type, boolean trans, long ld, long batchStride) {}

    private record Plan(long desc, long la, long lb, long lc, MemorySegment algo) {}

    private static final long WORKSPACE = 32L << 20;
    private final CublasLt lt;
    private final long handle;
    private final long stream;
    private final long workspace;
    private final boolean tf32 = Boolean.getBoolean("liquid4j.cuda.tf32");
    private final Map<String, Plan> plans = new LinkedHashMap<>();

    CudaMatmul(CublasLt lt, long stream, CudaAllocator alloc) {
        this.lt = lt;
        this.handle = lt.createHandle();
        this.stream = stream;
        this.workspace = alloc.allocate(WORKSPACE);
    }

    boolean tf32() { return tf32; }

    /**
     * out[b] (+)= a[b] · w[b] for a [M,K], w [K,N], out [M,N] row-major contiguous (ld N, batch stride M·N).
     * a and w must have the same data type; out may be f32, bf16 or f16.
     */
    synchronized void gemm(Operand a, Operand w, long outPtr, int outType, int m, int n, int k, int batch, boolean accumulate) {
        int compute = a.type() == CublasLt.R_32F && tf32 ? CublasLt.COMPUTE_32F_FAST_TF32 : CublasLt.COMPUTE_32F;
        String key = a + "|" + w + "|" + outType + "|" + m + "," + n + "," + k + "," + batch + "," + compute + ","
                + align(a.ptr()) + align(w.ptr()) + align(outPtr);
        key = key.replaceAll("ptr=\\d+, ", "");
        Plan p = plans.get(key);
        if (p == null) {
            p = plan(a, w, outPtr, outType, m, n, k, batch, compute);
            if (plans.size() > 512) plans.clear();  // shapes are few in practice; bound the cache anyway
            plans.put(key, p);
        }
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment alpha = ar.allocateFrom(JAVA_FLOAT, 1f), beta = ar.allocateFrom(JAVA_FLOAT, accumulate ? 1f : 0f);
            lt.call("cublasLtMatmul", lt.matmul, handle, p.desc(), alpha, w.ptr(), p.la(), a.ptr(), p.lb(), beta,
                    outPtr, p.lc(), outPtr, p.lc(), p.algo() == null ? MemorySegment.NULL : p.algo(), workspace, WORKSPACE, stream);
        }
    }

    private static int align(long ptr) { return (int) Math.min(256, Long.lowestOneBit(ptr == 0 ? 256 : ptr)); }

    private Plan plan(Operand a, Operand w, long outPtr, int outType, int m, int n, int k, int batch, int compute) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment h = ar.allocate(ADDRESS);
            lt.call("cublasLtMatmulDescCreate", lt.descCreate, h, compute, CublasLt.R_32F);
            long desc = h.get(ADDRESS, 0).address();
            setDesc(desc, CublasLt.DESC_TRANSA, w.trans() ? CublasLt.OP_T : CublasLt.OP_N, ar);
            setDesc(desc, CublasLt.DESC_TRANSB, a.trans() ? CublasLt.OP_T : CublasLt.OP_N, ar);
            // cuBLASLt A = W^T: op(A) is [N,K]; stored [N,K] (ld) when w is row-major, [K,N] when transposed.
            long la = layout(w.type(), w.trans() ? k : n, w.trans() ? n : k, w.ld(), batch, w.batchStride(), ar);
            // cuBLASLt B = A^T: op(B) is [K,M].
            long lb = layout(a.type(), a.trans() ? m : k, a.trans() ? k : m, a.ld(), batch, a.batchStride(), ar);
            long lc = layout(outType, n, m, n, batch, (long) m * n, ar);
            MemorySegment ph = ar.allocate(ADDRESS);
            lt.call("cublasLtMatmulPreferenceCreate", lt.prefCreate, ph);
            long pref = ph.get(ADDRESS, 0).address();
            lt.call("cublasLtMatmulPreferenceSetAttribute", lt.prefSetAttr, pref, CublasLt.PREF_MAX_WORKSPACE_BYTES,
                    ar.allocateFrom(JAVA_LONG, WORKSPACE), 8L);
            int[][] aligns = {{CublasLt.PREF_MIN_ALIGN_A, align(w.ptr())}, {CublasLt.PREF_MIN_ALIGN_B, align(a.ptr())},
                    {CublasLt.PREF_MIN_ALIGN_C, align(outPtr)}, {CublasLt.PREF_MIN_ALIGN_D, align(outPtr)}};
            for (int[] al : aligns) {
                lt.call("cublasLtMatmulPreferenceSetAttribute", lt.prefSetAttr, pref, al[0], ar.allocateFrom(JAVA_INT, al[1]), 4L);
            }
            MemorySegment results = ar.allocate(CublasLt.HEURISTIC_RESULT_BYTES, 16);
            MemorySegment count = ar.allocate(JAVA_INT);
            lt.call("cublasLtMatmulAlgoGetHeuristic", lt.heuristic, handle, desc, la, lb, lc, lc, pref, 1, results, count);
            lt.call("cublasLtMatmulPreferenceDestroy", lt.prefDestroy, pref);
            if (count.get(JAVA_INT, 0) == 0) {
                throw new CudaException("cuBLASLt has no algorithm for this GEMM (M=" + m + " N=" + n + " K=" + k + " batch=" + batch + ")");
            }
            MemorySegment algo = Arena.global().allocate(64, 16);
            algo.copyFrom(results.asSlice(0, 64));
            return new Plan(desc, la, lb, lc, algo);
        }
    }

    private void setDesc(long desc, int attr, int value, Arena ar) {
        lt.call("cublasLtMatmulDescSetAttribute", lt.descSetAttr, desc, attr, ar.allocateFrom(JAVA_INT, value), 4L);
    }

    private long layout(int type, long rows, long cols, long ld, int batch, long batchStride, Arena ar) {
        MemorySegment h = ar.allocate(ADDRESS);
        lt.call("cublasLtMatrixLayoutCreate", lt.layoutCreate, h, type, rows, cols, Math.max(ld, rows));
        long l = h.get(ADDRESS, 0).address();
        if (batch > 1) {
            lt.call("cublasLtMatrixLayoutSetAttribute", lt.layoutSetAttr, l, CublasLt.LAYOUT_BATCH_COUNT, ar.allocateFrom(JAVA_INT, batch), 4L);
            lt.call("cublasLtMatrixLayoutSetAttribute", lt.layoutSetAttr, l, CublasLt.LAYOUT_STRIDED_BATCH_OFFSET,
                    ar.allocateFrom(JAVA_LONG, batchStride), 8L);
        }
        return l;
    }
}
