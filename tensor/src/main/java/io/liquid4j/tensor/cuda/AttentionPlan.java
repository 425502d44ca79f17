package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.DType;

/**
 * Launch arithmetic of the attention kernels (kernels/cuda/attention.cu): which kernel a call
 * takes, its tile shapes, grid and dynamic shared memory. Pure functions of the shapes, so the
 * CPU tests check them; the constants mirror the kernel's template arguments
 * ({@code L4J_ATTN_MMA(D, FBC, BDS, …)}) and must change with them.
 */
final class AttentionPlan {
    private AttentionPlan() {}

    /** Queries per forward block (4 warps × 16 rows). */
    static final int FWD_QUERIES = 64;
    /** Queries per backward inner tile. */
    static final int BWD_QUERIES = 32;
    /** Head dims with a tensor-core kernel. */
    static final int[] MMA_DIMS = {64, 128, 256};
    /** Largest D / Dv of the split kernel (8 values per lane). */
    static final int SPLIT_MAX_DIM = 256;
    /** Threads per block of every attention kernel. */
    static final int THREADS = 128;

    static boolean mmaDim(int d) { return d == 64 || d == 128 || d == 256; }

    /** Kernel-name suffix of the tensor-core kernels for this dtype and head dim ("128_bf16"), or null. */
    static String mmaSuffix(DType dtype, int d) {
        if (!mmaDim(d)) return null;
        return switch (dtype) {
            case BF16 -> d + "_bf16";
            case F16 -> d + "_f16";
            default -> null;
        };
    }

    /** Keys per forward tile: 64, or 32 at D 256 (registers: S tile + a 16×256 O accumulator per warp). */
    static int fwdKeys(int d) { return d == 256 ? 32 : 64; }

    /** Keys per backward block: 4 warps × 16 keys, or 2 key strips × 2 head-dim halves at D 256. */
    static int bwdKeys(int d) { return d == 256 ? 32 : 64; }

    /**
     * Dynamic shared memory of the forward: two stages of K and V tiles of 16-bit rows padded to
     * D + 8; at D ≤ 128 the Q tile is staged in the second stage (its fragments then live in
     * registers), at D 256 it has a tile of its own.
     */
    static int fwdSharedBytes(int d) { return ((d <= 128 ? 0 : FWD_QUERIES) + 4 * fwdKeys(d)) * (d + 8) * 2; }

    /** Dynamic shared memory of the backward: K, V, Q, dO tiles, dSᵀ [keys][32 + 8], lse and delta. */
    static int bwdSharedBytes(int d) {
        int keys = bwdKeys(d);
        return (2 * keys + 2 * BWD_QUERIES) * (d + 8) * 2 + keys * (BWD_QUERIES + 8) * 2 + 2 * BWD_QUERIES * 4;
    }

    static long fwdBlocks(long batch, long hq, long lq) { return ceil(lq, FWD_QUERIES) * batch * hq; }

    static long bwdBlocks(long batch, long hkv, long lk, int d) { return ceil(lk, bwdKeys(d)) * batch * hkv; }

    /**
     * Key splits of the split kernel for `rows` query rows each scanning up to `span` keys on a
     * GPU of `sms` SMs: enough (row, split) warps for about 16 per SM, each split at least 64
     * keys, at most 64 splits. Prefill (many rows) gets 1: no partials, no combine.
     */
    static int splits(long rows, long span, int sms) {
        long target = 16L * Math.max(1, sms);
        if (rows >= target || span <= 64) return 1;
        long s = Math.min(ceil(target, rows), span / 64);
        return (int) Math.max(1, Math.min(64, s));
    }

    /**
     * Whether a forward of lq query rows per head goes to the split kernel even when a
     * tensor-core kernel applies: decoding (one query, or CFG's few) would leave 56+ of the 64
     * rows of a tensor-core block empty and walk the whole KV cache in one block.
     */
    static boolean preferSplit(int lq) { return lq <= 8; }

    /** Blocks of 4 warps for `warps` one-warp items. */
    static long warpBlocks(long warps) { return ceil(warps, THREADS / 32); }

    static long ceil(long a, long b) { return (a + b - 1) / b; }
}
