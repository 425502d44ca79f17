package io.liquid4j.tensor.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batched GEMM through cuBLASLt with f32 accumulation. Row-major liquid4j matrices are handed to
 * column-major cuBLASLt as their transposes: out[M,N] (row-major) = (W^T · A^T)^T, so cuBLASLt's
 * "A" is our weight and its "B" our activation, and a transposed view becomes an op flag rather
 * than a copy. Descriptors and the chosen algorithm are cached per problem (shape, types, layout,
 * pointer alignment).
 *
 * <p>Algorithm choice: the heuristic is asked for up to {@link #CANDIDATES} algorithms; for a
 * problem of at least {@link #TUNE_MIN_FLOP} FLOP each valid candidate is timed once on the
 * stream (two rounds of {@link #TUNE_REPS} runs into a scratch output, the faster round counts)
 * and the fastest is kept for the life of the backend — the heuristic's first choice alone was
 * measured at 0.89–0.99× torch.matmul for bf16 4096³ on an H100, depending on the run.
 * Smaller problems, and problems first seen during graph capture (which forbids the
 * synchronisation timing needs; they are tuned at their next call outside capture), use the
 * heuristic's first choice. -Dliquid4j.cuda.gemmTune=false turns timing off.
 */
final class CudaMatmul {
    /** One operand: device pointer, cuda data type, whether stored transposed, leading dim, batch stride (elements). */
    record Operand(long ptr, int type, boolean trans, long ld, long batchStride) {}

    private static final class Plan {
        final long desc, la, lb, lc;
        final MemorySegment results;   // the heuristic's candidates (HEURISTIC_RESULT_BYTES each)
        final int count;
        MemorySegment algo;
        boolean tuned;
        String info;

        Plan(long desc, long la, long lb, long lc, MemorySegment results, int count) {
            this.desc = desc;
            this.la = la;
            this.lb = lb;
            this.lc = lc;
            this.results = results;
            this.count = count;
            this.algo = results.asSlice(0, 64);
        }
    }

    static final int CANDIDATES = 16;
    static final double TUNE_MIN_FLOP = 1e9;
    static final int TUNE_REPS = 3;
    private static final long WORKSPACE = 32L << 20;
    private final CublasLt lt;
    private final CudaDriver drv;
    private final CudaAllocator alloc;
    private final long handle;
    private final long stream;
    private final long workspace;
    private final boolean tf32 = Boolean.getBoolean("liquid4j.cuda.tf32");
    private final Map<String, Plan> plans = new LinkedHashMap<>();

    CudaMatmul(CublasLt lt, CudaDriver drv, long stream, CudaAllocator alloc) {
        this.lt = lt;
        this.drv = drv;
        this.alloc = alloc;
        this.handle = lt.createHandle();
        this.stream = stream;
        this.workspace = alloc.allocate(WORKSPACE);
    }

    boolean tf32() { return tf32; }

    private static boolean tuneEnabled() { return Boolean.parseBoolean(System.getProperty("liquid4j.cuda.gemmTune", "true")); }

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
            p.info = describe(a, w, outType, m, n, k, batch) + " -> heuristic #0 " + algoName(p.algo) + " (of " + p.count + ")";
        }
        if (!p.tuned && p.count > 1 && 2.0 * m * n * k * batch >= TUNE_MIN_FLOP && tuneEnabled() && !drv.isCapturing(stream)) {
            tune(p, a, w, outType, m, n, k, batch);
        }
        run(p, p.algo, a.ptr(), w.ptr(), outPtr, accumulate);
    }

    private void run(Plan p, MemorySegment algo, long aPtr, long wPtr, long outPtr, boolean accumulate) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment alpha = ar.allocateFrom(JAVA_FLOAT, 1f), beta = ar.allocateFrom(JAVA_FLOAT, accumulate ? 1f : 0f);
            lt.call("cublasLtMatmul", lt.matmul, handle, p.desc, alpha, wPtr, p.la, aPtr, p.lb, beta,
                    outPtr, p.lc, outPtr, p.lc, algo == null ? MemorySegment.NULL : algo, workspace, WORKSPACE, stream);
        }
    }

    private static int typeBytes(int t) { return t == CublasLt.R_32F ? 4 : 2; }

    /** Times every candidate into a scratch output (beta = 0: out is untouched) and keeps the fastest. */
    private void tune(Plan p, Operand a, Operand w, int outType, int m, int n, int k, int batch) {
        p.tuned = true;
        long bytes = (long) batch * m * n * typeBytes(outType);
        long scratch = alloc.allocate(bytes);
        long e0 = drv.eventCreate(0), e1 = drv.eventCreate(0);
        double[] ms = new double[p.count];
        java.util.Arrays.fill(ms, Double.POSITIVE_INFINITY);
        try {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < p.count; i++) {
                    if (round == 1 && Double.isInfinite(ms[i])) continue;   // failed in round 0
                    MemorySegment algo = p.results.asSlice((long) i * CublasLt.HEURISTIC_RESULT_BYTES, 64);
                    try {
                        run(p, algo, a.ptr(), w.ptr(), scratch, false);   // warm-up (and validity)
                        drv.eventRecord(e0, stream);
                        for (int r = 0; r < TUNE_REPS; r++) run(p, algo, a.ptr(), w.ptr(), scratch, false);
                        drv.eventRecord(e1, stream);
                        drv.eventSynchronize(e1);
                        ms[i] = Math.min(ms[i], drv.eventElapsedMs(e0, e1) / TUNE_REPS);
                    } catch (CudaException e) {
                        ms[i] = Double.POSITIVE_INFINITY;   // this candidate cannot run this problem: skip it
                    }
                }
            }
        } finally {
            drv.eventDestroy(e0);
            drv.eventDestroy(e1);
            alloc.free(scratch, bytes);
        }
        int best = 0;
        for (int i = 1; i < p.count; i++) if (ms[i] < ms[best]) best = i;
        if (Double.isInfinite(ms[best])) return;   // nothing ran: keep the heuristic's first choice
        p.algo = p.results.asSlice((long) best * CublasLt.HEURISTIC_RESULT_BYTES, 64);
        double flop = 2.0 * m * n * k * batch;
        p.info = describe(a, w, outType, m, n, k, batch) + String.format(" -> candidate #%d of %d %s: %.3f ms (%.0f TFLOP/s); heuristic #0 %s: %.3f ms",
                best, p.count, algoName(p.algo), ms[best], flop / ms[best] / 1e9, algoName(p.results.asSlice(0, 64)), ms[0]);
    }

    private static String typeName(int t) { return t == CublasLt.R_32F ? "f32" : t == CublasLt.R_16BF ? "bf16" : "f16"; }

    private static String describe(Operand a, Operand w, int outType, int m, int n, int k, int batch) {
        return String.format("M=%d N=%d K=%d batch=%d %s%s x %s%s -> %s", m, n, k, batch, typeName(a.type()), a.trans() ? "^T" : "",
                typeName(w.type()), w.trans() ? "^T" : "", typeName(outType));
    }

    /** "algo=ID tile=T stages=S splitK=K swizzle=C custom=O cluster=L" from the algorithm's configuration attributes. */
    String algoName(MemorySegment algo) {
        if (lt.algoConfigGet == null) return "algo";
        String[] names = {"algo", "tile", "splitK", "reduction", "swizzle", "custom", "stages", "inner", "cluster"};
        StringBuilder sb = new StringBuilder();
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment buf = ar.allocate(8, 8), written = ar.allocate(JAVA_LONG);
            for (int attr : new int[] {0, 1, 6, 2, 4, 5, 8}) {
                buf.set(JAVA_LONG, 0, 0);
                try {
                    lt.call("cublasLtMatmulAlgoConfigGetAttribute", lt.algoConfigGet, algo, attr, buf, 4L, written);
                    if (sb.length() > 0) sb.append(' ');
                    sb.append(names[attr]).append('=').append(buf.get(JAVA_INT, 0));
                } catch (CudaException e) {
                    // attribute unknown to this version: leave it out
                }
            }
        }
        return sb.toString();
    }

    /** One line per cached problem: its shape and the algorithm chosen (with timings when tuned). */
    synchronized List<String> choices() {
        List<String> r = new ArrayList<>();
        for (Plan p : plans.values()) r.add(p.info);
        return r;
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
            MemorySegment results = ar.allocate(CublasLt.HEURISTIC_RESULT_BYTES * CANDIDATES, 16);
            MemorySegment count = ar.allocate(JAVA_INT);
            lt.call("cublasLtMatmulAlgoGetHeuristic", lt.heuristic, handle, desc, la, lb, lc, lc, pref, CANDIDATES, results, count);
            lt.call("cublasLtMatmulPreferenceDestroy", lt.prefDestroy, pref);
            // keep the candidates that are usable: state CUBLAS_STATUS_SUCCESS and a workspace that fits
            MemorySegment kept = Arena.global().allocate(CublasLt.HEURISTIC_RESULT_BYTES * CANDIDATES, 16);
            int n0 = count.get(JAVA_INT, 0), c = 0;
            for (int i = 0; i < n0; i++) {
                MemorySegment r = results.asSlice(i * CublasLt.HEURISTIC_RESULT_BYTES, CublasLt.HEURISTIC_RESULT_BYTES);
                if (r.get(JAVA_INT, 72) != 0 || r.get(JAVA_LONG, 64) > WORKSPACE) continue;
                kept.asSlice(c++ * CublasLt.HEURISTIC_RESULT_BYTES, CublasLt.HEURISTIC_RESULT_BYTES).copyFrom(r);
            }
            if (c == 0) {
                throw new CudaException("cuBLASLt has no algorithm for this GEMM (M=" + m + " N=" + n + " K=" + k + " batch=" + batch + ")");
            }
            return new Plan(desc, la, lb, lc, kept, c);
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
