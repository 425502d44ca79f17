package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;

/**
 * Launchers of the fused per-row kernels (softmax.cu, norms.cu, cross_entropy.cu). Softmax and
 * RMSNorm rows of n ≤ 16384 F32 (n % 4 == 0, 16-byte aligned; backward RMSNorm n ≤ 8192) take the
 * register-resident float4 kernels (rows.cuh: one DRAM pass, ≥ 88% of copy bandwidth on an H100);
 * everything else the scalar kernels, which pick the block size from the row length and cache rows
 * in shared memory when they fit. Also sizes the weight-gradient scratch of the backward kernels.
 */
final class CudaRowOps {
    private static final int SMEM_LIMIT = 48 * 1024;   // default dynamic smem without opt-in
    private final CudaBackend be;

    CudaRowOps(CudaBackend be) { this.be = be; }

    /** Threads per row: about 4–8 elements per thread, a multiple of 32, 32..1024. */
    static int threadsFor(long n) {
        long t = Math.min(1024, Math.max(32, (n + 3) / 4));
        return (int) ((t + 31) / 32 * 32);
    }

    private static long grid(long rows) { return Math.max(1, Math.min(rows, 1L << 20)); }

    /**
     * Row-kernel variant, for debugging and as GpuBench's reference: system property
     * {@code liquid4j.rows} 0 (default) = register-resident float4 kernels where eligible; 1 = the
     * scalar kernels only (the previous implementation, kept as the general fallback). A persistent
     * grid with L2 prefetch of the next row (measured 76–79% of copy vs 98–101%) was removed; its
     * numbers are in bench/GPU-BENCHMARKS.md.
     */
    static int variant() { return Integer.getInteger("liquid4j.rows", 0); }

    /**
     * Block size of the register-resident float4 kernels (rows.cuh) for rows of n F32 elements,
     * or 0 when they do not apply (n not a multiple of 4, or n > 16384): T=128 holds ≤ 256 float4
     * per row, 256 ≤ 1024, 512 ≤ 2048, 1024 ≤ 4096. Pointers must also be 16-byte aligned.
     */
    static int vecThreads(long n) {
        if (n <= 0 || n % 4 != 0) return 0;
        long n4 = n / 4;
        return n4 <= 256 ? 128 : n4 <= 1024 ? 256 : n4 <= 2048 ? 512 : n4 <= 4096 ? 1024 : 0;
    }

    private static boolean aligned16(long... ptrs) {
        for (long p : ptrs) if ((p & 15) != 0) return false;
        return true;
    }

    /** Weight given as F32 with unit stride and 16-byte alignment: the kernels read it as float4. */
    private static int wvec(Tensor w) { return w != null && w.dtype() == DType.F32 && w.stride(-1) == 1 && aligned16(CudaBackend.ptr(w)) ? 1 : 0; }

    private static long rowsOf(Tensor x) {
        int n = x.size(-1);
        return n == 0 ? 0 : x.numel() / n;
    }

    void softmax(Tensor x, Tensor out, boolean log) {
        CudaBackend.requireF32Contiguous("softmax", x, out);
        int n = x.size(-1);
        long rows = rowsOf(x);
        if (rows == 0) return;
        int vt = variant() == 1 ? 0 : vecThreads(n);
        if (vt != 0 && aligned16(CudaBackend.ptr(x), CudaBackend.ptr(out))) {
            be.launch("l4j_softmax_fwd_v" + vt, grid(rows), vt, 0,
                    k -> k.ptr(CudaBackend.ptr(x)).ptr(CudaBackend.ptr(out)).i64(rows).i32(n).i32(log ? 1 : 0));
            return;
        }
        boolean cache = 128L + 4L * n <= SMEM_LIMIT;
        int smem = cache ? 128 + 4 * n : 128;
        be.launch("l4j_softmax_fwd", grid(rows), threadsFor(n), smem,
                k -> k.ptr(CudaBackend.ptr(x)).ptr(CudaBackend.ptr(out)).i64(rows).i32(n).i32(log ? 1 : 0).i32(cache ? 1 : 0));
    }

    void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) {
        CudaBackend.requireF32Contiguous("softmax backward", y, gy, gx);
        int n = y.size(-1);
        long rows = rowsOf(y);
        if (rows == 0) return;
        int vt = variant() == 1 ? 0 : vecThreads(n);
        if (vt != 0 && aligned16(CudaBackend.ptr(y), CudaBackend.ptr(gy), CudaBackend.ptr(gx))) {
            be.launch("l4j_softmax_bwd_v" + vt, grid(rows), vt, 0,
                    k -> k.ptr(CudaBackend.ptr(y)).ptr(CudaBackend.ptr(gy)).ptr(CudaBackend.ptr(gx)).i64(rows).i32(n).i32(log ? 1 : 0));
            return;
        }
        be.launch("l4j_softmax_bwd", grid(rows), threadsFor(n), 128,
                k -> k.ptr(CudaBackend.ptr(y)).ptr(CudaBackend.ptr(gy)).ptr(CudaBackend.ptr(gx)).i64(rows).i32(n).i32(log ? 1 : 0));
    }

    private static void checkWeight(Tensor w, int n) {
        if (w != null && (w.numel() != n || !w.dtype().isFloating())) {
            throw new IllegalArgumentException("norm weight must be floating with " + n + " elements, got " + w.describe());
        }
    }

    private static long wptr(Tensor w) { return w == null ? 0 : CudaBackend.ptr(w); }

    private static int wdt(Tensor w) { return w == null ? 0 : w.dtype().ordinal(); }

    private static long wstride(Tensor w) { return w == null ? 0 : w.stride(-1); }

    void rmsNorm(Tensor x, Tensor w, double eps, Tensor out, Tensor rstd) {
        CudaBackend.requireF32Contiguous("rmsNorm", x, out, rstd);
        int n = x.size(-1);
        checkWeight(w, n);
        long rows = rowsOf(x);
        if (rows == 0) return;
        int vt = variant() == 1 ? 0 : vecThreads(n);
        if (vt != 0 && aligned16(CudaBackend.ptr(x), CudaBackend.ptr(out))) {
            be.launch("l4j_rmsnorm_fwd_v" + vt, grid(rows), vt, 0,
                    k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).i32(wvec(w)).f32((float) eps)
                            .ptr(CudaBackend.ptr(out)).ptr(CudaBackend.ptr(rstd)).i64(rows).i32(n));
            return;
        }
        boolean cache = 128L + 4L * n <= SMEM_LIMIT;
        be.launch("l4j_rmsnorm_fwd", grid(rows), threadsFor(n), cache ? 128 + 4 * n : 128,
                k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).f32((float) eps)
                        .ptr(CudaBackend.ptr(out)).ptr(CudaBackend.ptr(rstd)).i64(rows).i32(n).i32(cache ? 1 : 0));
    }

    /**
     * Grid of the float4 RMSNorm backward. Without gw: one row per block. With gw: a persistent
     * grid of exactly the 1024/T blocks per SM that the launch bounds guarantee (one wave; each
     * block a fixed strided set of rows, so gw is deterministic on a given GPU; partials cost
     * blocks·n·8 B, ~1% of the main traffic at 16k rows). Measured on the H100
     * (bench/GPU-BENCHMARKS.md): 89%/94% of copy at n=4096/8192, against 86–94% for R = 8..64 rows
     * per block and 15–20% less with an L2 prefetch of each block's next row; those two switches
     * (liquid4j.rmsbwd.rows, liquid4j.rmsbwd.pf) were removed.
     */
    private int rmsBwdBlocks(long rows, int threads, boolean partials) {
        if (!partials) return (int) grid(rows);
        long resident = (long) be.sms * (1024 / threads);
        return (int) Math.max(1, Math.min(rows, resident));
    }

    /** Blocks of the backward kernels: about two per SM, so the gw scratch stays small. */
    private int bwdBlocks(long rows) { return (int) Math.max(1, Math.min(rows, 2L * be.sms)); }

    void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor gy, Tensor gx, Tensor gw) {
        CudaBackend.requireF32Contiguous("rmsNorm backward", x, rstd, gy, gx);
        int n = x.size(-1);
        checkWeight(w, n);
        long rows = rowsOf(x);
        if (rows == 0) return;
        int vt = variant() == 1 ? 0 : vecThreads(n);
        if (vt != 0 && vt <= 512 && aligned16(CudaBackend.ptr(x), CudaBackend.ptr(gy), CudaBackend.ptr(gx))) {
            int blocks = rmsBwdBlocks(rows, vt, gw != null);
            long partBytes = gw == null ? 0 : 4L * blocks * n;
            long part = gw == null ? 0 : be.scratch(partBytes);
            if (aligned16(part)) {   // every block writes its whole partial row: no memset
                be.launch("l4j_rmsnorm_bwd_v" + vt, blocks, vt, gw == null ? 0 : 4 * n,
                        k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).i32(wvec(w)).ptr(CudaBackend.ptr(rstd))
                                .ptr(CudaBackend.ptr(gy)).ptr(CudaBackend.ptr(gx)).ptr(part).i64(rows).i32(n));
                if (gw != null) {
                    foldInto(part, blocks, n, gw);
                    be.release(part, partBytes);
                }
                return;
            }
            if (part != 0) be.release(part, partBytes);
        }
        int blocks = bwdBlocks(rows);
        long partBytes = gw == null ? 0 : 4L * blocks * n;
        long part = gw == null ? 0 : be.scratch(partBytes);
        if (part != 0) be.drv.memsetAsync(part, 0, partBytes, be.stream);
        be.launch("l4j_rmsnorm_bwd", blocks, threadsFor(n), 128,
                k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).ptr(CudaBackend.ptr(rstd))
                        .ptr(CudaBackend.ptr(gy)).ptr(CudaBackend.ptr(gx)).ptr(part).i64(rows).i32(n));
        if (gw != null) {
            foldInto(part, blocks, n, gw);
            be.release(part, partBytes);
        }
    }

    private void foldInto(long part, int blocks, int n, Tensor g) {
        if (g.numel() != n || !g.dtype().isFloating()) throw new IllegalArgumentException("weight gradient must have " + n + " floating elements");
        if (variant() == 1) {
            be.launchElementwise("l4j_col_sum_add", n,
                    k -> k.ptr(part).i32(blocks).i32(n).ptr(CudaBackend.ptr(g)).i32(g.dtype().ordinal()).i64(g.stride(-1)));
            return;
        }
        be.launch("l4j_col_sum_add2", (n + 31) / 32, 512, 0,
                k -> k.ptr(part).i32(blocks).i32(n).ptr(CudaBackend.ptr(g)).i32(g.dtype().ordinal()).i64(g.stride(-1)));
    }

    void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out, Tensor mean, Tensor rstd) {
        CudaBackend.requireF32Contiguous("layerNorm", x, out, mean, rstd);
        int n = x.size(-1);
        checkWeight(w, n);
        checkWeight(b, n);
        long rows = rowsOf(x);
        if (rows == 0) return;
        boolean cache = 128L + 4L * n <= SMEM_LIMIT;
        be.launch("l4j_layernorm_fwd", grid(rows), threadsFor(n), cache ? 128 + 4 * n : 128,
                k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).ptr(wptr(b)).i32(wdt(b)).i64(wstride(b))
                        .f32((float) eps).ptr(CudaBackend.ptr(out)).ptr(CudaBackend.ptr(mean)).ptr(CudaBackend.ptr(rstd))
                        .i64(rows).i32(n).i32(cache ? 1 : 0));
    }

    void layerNormBackward(Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        CudaBackend.requireF32Contiguous("layerNorm backward", x, mean, rstd, gy, gx);
        int n = x.size(-1);
        checkWeight(w, n);
        long rows = rowsOf(x);
        if (rows == 0) return;
        int blocks = bwdBlocks(rows);
        long bytes = 4L * blocks * n;
        long pw = gw == null ? 0 : be.scratch(bytes), pb = gb == null ? 0 : be.scratch(bytes);
        if (pw != 0) be.drv.memsetAsync(pw, 0, bytes, be.stream);
        if (pb != 0) be.drv.memsetAsync(pb, 0, bytes, be.stream);
        be.launch("l4j_layernorm_bwd", blocks, threadsFor(n), 128,
                k -> k.ptr(CudaBackend.ptr(x)).ptr(wptr(w)).i32(wdt(w)).i64(wstride(w)).ptr(CudaBackend.ptr(mean))
                        .ptr(CudaBackend.ptr(rstd)).ptr(CudaBackend.ptr(gy)).ptr(CudaBackend.ptr(gx)).ptr(pw).ptr(pb).i64(rows).i32(n));
        if (gw != null) {
            foldInto(pw, blocks, n, gw);
            be.release(pw, bytes);
        }
        if (gb != null) {
            foldInto(pb, blocks, n, gb);
            be.release(pb, bytes);
        }
    }

    private static void checkXent(Tensor logits, Tensor targets) {
        if (logits.dim() != 2 || !logits.isContiguous() || (logits.dtype() != DType.F32 && logits.dtype() != DType.BF16)) {
            throw new IllegalArgumentException("cross-entropy needs contiguous F32/BF16 logits [rows, V], got " + logits.describe());
        }
        if (targets.numel() != logits.size(0) || targets.dtype().isFloating() || !targets.isContiguous()) {
            throw new IllegalArgumentException("cross-entropy needs contiguous integer targets [rows], got " + targets.describe());
        }
    }

    void crossEntropy(Tensor logits, Tensor targets, long ignore, double z, Tensor loss, Tensor lse) {
        checkXent(logits, targets);
        CudaBackend.requireF32Contiguous("cross-entropy", loss, lse);
        long rows = logits.size(0), v = logits.size(1);
        if (rows == 0) return;
        be.launch("l4j_xent_fwd", grid(rows), threadsFor(v), 0,
                k -> k.ptr(CudaBackend.ptr(logits)).i32(CudaBackend.dt(logits)).i64(rows).i64(v).ptr(CudaBackend.ptr(targets))
                        .i32(CudaBackend.dt(targets)).i64(ignore).f32((float) z).ptr(CudaBackend.ptr(loss)).ptr(CudaBackend.ptr(lse)));
    }

    void crossEntropyBackward(Tensor logits, Tensor targets, long ignore, double z, Tensor lse, Tensor gLoss, Tensor grad) {
        checkXent(logits, targets);
        CudaBackend.requireF32Contiguous("cross-entropy backward", lse, gLoss);
        if (!grad.isContiguous() || grad.numel() != logits.numel()) throw new IllegalArgumentException("grad must be contiguous like logits");
        long rows = logits.size(0), v = logits.size(1);
        if (rows == 0) return;
        long gstride = gLoss.numel() == 1 ? 0 : 1;
        be.launch("l4j_xent_bwd", grid(rows), threadsFor(v), 0,
                k -> k.ptr(CudaBackend.ptr(logits)).i32(CudaBackend.dt(logits)).i64(rows).i64(v).ptr(CudaBackend.ptr(targets))
                        .i32(CudaBackend.dt(targets)).i64(ignore).f32((float) z).ptr(CudaBackend.ptr(lse)).ptr(CudaBackend.ptr(gLoss))
                        .i64(gstride).ptr(CudaBackend.ptr(grad)).i32(CudaBackend.dt(grad)));
    }
}
