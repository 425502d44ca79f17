package io.liquid4j.tensor;

/**
 * The default of {@link Backend#linearCrossEntropy} / {@link Backend#linearCrossEntropyBackward}:
 * the LM head and the loss fused chunk by chunk over rows, from the backend's {@link Backend#matmul}
 * and crossEntropy kernels, so the [N, V] logits never exist whole, forward or backward.
 *
 * <p>Forward, per chunk of rows: logits = hidden_c · Wᵀ into one reused F32 [rows, V] buffer,
 * softcap in place (c·tanh(x/c)), then the crossEntropy kernel writes the chunk's loss and lse.
 * Backward, per chunk: the logits are recomputed (one GEMM: cheaper than keeping 4 GB of them),
 * the crossEntropyBackward kernel turns them into dlogits (in place when there is no softcap;
 * with one it writes a second buffer and multiplies by the cap's derivative 1 − (capped/c)²),
 * then gHidden_c = dlogits · W and gWeight += dlogitsᵀ · hidden_c.
 *
 * <p>Chunk size: {@code liquid4j.xent.chunkBytes} (read per call; default 512 MiB) of F32 logits
 * per chunk, i.e. rows = chunkBytes / (4·V), at least 1 (a multiple of 8 from 64 rows on: whole
 * GEMM row tiles). Memory beyond the inputs: one chunk buffer forward, one (two with softcap)
 * backward, plus the F32 gradients themselves; full logits of 4096 rows at V = 264,192 would take
 * 4.3 GB, and their gradient as much again. At that V the default gives 504 rows. The chunk's
 * rows are the K of the gWeight GEMM (gWeight [V, H] += dlogitsᵀ · hidden_c), which reads and
 * writes all of gWeight once per chunk: on the 2-core AVX-512 VM of BENCHMARKS.md that GEMM ran
 * at 145–234 GFLOP/s with 248 rows and 295–341 with 496 (forward and gHidden GEMMs ~250–300 with
 * 248 already), hence 512 MiB rather than 256.
 *
 * <p>16-bit operands: when hidden arrives in the weight's BF16/F16 dtype (a backend with
 * {@link Backend#hasLowPrecisionGemm}, see F.linearCrossEntropy), the three GEMMs run on 16-bit
 * operands with F32 accumulation and F32 results: the forward's operands are exact, the backward
 * rounds each chunk's dlogits to the weight's dtype first (what PyTorch's bf16 training does with
 * the logits' gradient). Without it a 16-bit weight would be widened to an F32 copy for every GEMM
 * of every chunk (on an H200, 1.84 s for N 8192 × V 264,192 × H 3072 against PyTorch eager's 0.11 s).
 *
 * <p>Not chunked over the vocabulary: that would pay only once a chunk's memory bound left too
 * few rows for the GEMMs to stay efficient (V in the millions at the default budget), and it
 * would split each row's logsumexp into partial ones to merge.
 */
final class LinearCrossEntropyChunked {
    static final long DEFAULT_CHUNK_BYTES = 512L << 20;

    private LinearCrossEntropyChunked() {}

    /** Rows per chunk for n rows of vocabulary v (see the class comment). */
    static int rowsPerChunk(int n, int v) {
        long bytes = Long.getLong("liquid4j.xent.chunkBytes", DEFAULT_CHUNK_BYTES);
        long rows = Math.max(1, bytes / (4L * Math.max(1, v)));
        if (rows >= 64) rows -= rows % 8;
        return (int) Math.max(1, Math.min(Math.max(n, 1), rows));
    }

    static void forward(Backend be, Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                        Tensor loss, Tensor lse) {
        forward(be, hidden, weight, targets, ignoreIndex, zLoss, softcap, loss, lse, rowsPerChunk(hidden.size(0), weight.size(0)));
    }

    static void forward(Backend be, Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                        Tensor loss, Tensor lse, int chunkRows) {
        check(hidden, weight, targets, softcap, loss, lse);
        int n = hidden.size(0), v = weight.size(0);
        if (n == 0) return;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor buf = Tensor.empty(DType.F32, hidden.device(), Math.min(chunkRows, n), v);
            Tensor wT = weight.t().unsqueeze(0);
            for (int r0 = 0; r0 < n; r0 += chunkRows) {
                int c = Math.min(chunkRows, n - r0);
                try (var _ = TensorScope.open()) {
                    Tensor logits = buf.narrow(0, 0, c);
                    cappedLogits(be, hidden.narrow(0, r0, c), wT, softcap, logits);
                    be.crossEntropy(logits, targets.narrow(0, r0, c), ignoreIndex, zLoss, loss.narrow(0, r0, c), lse.narrow(0, r0, c));
                }
            }
        }
    }

    static void backward(Backend be, Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                         Tensor lse, Tensor gLoss, Tensor gHidden, Tensor gWeight) {
        backward(be, hidden, weight, targets, ignoreIndex, zLoss, softcap, lse, gLoss, gHidden, gWeight,
                rowsPerChunk(hidden.size(0), weight.size(0)));
    }

    static void backward(Backend be, Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                         Tensor lse, Tensor gLoss, Tensor gHidden, Tensor gWeight, int chunkRows) {
        check(hidden, weight, targets, softcap, lse);
        int n = hidden.size(0), v = weight.size(0), h = hidden.size(1);
        if (gLoss.dtype() != DType.F32 || !gLoss.isContiguous() || (gLoss.numel() != 1 && gLoss.numel() != n)) {
            throw new IllegalArgumentException("linearCrossEntropyBackward needs gLoss as contiguous F32 of 1 or " + n + " elements, got " + gLoss.describe());
        }
        requireF32(gHidden, n, h, "gHidden");
        requireF32(gWeight, v, h, "gWeight");
        if (n == 0 || (gHidden == null && gWeight == null)) return;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            int rows = Math.min(chunkRows, n);
            Tensor buf = Tensor.empty(DType.F32, hidden.device(), rows, v);
            Tensor dbuf = softcap > 0 ? Tensor.empty(DType.F32, hidden.device(), rows, v) : buf;
            boolean low = hidden.dtype() != DType.F32;
            Tensor d16 = low ? Tensor.empty(hidden.dtype(), hidden.device(), rows, v) : null;
            Tensor w3 = weight.unsqueeze(0), wT = weight.t().unsqueeze(0);
            for (int r0 = 0; r0 < n; r0 += chunkRows) {
                int c = Math.min(chunkRows, n - r0);
                try (var _ = TensorScope.open()) {
                    Tensor logits = buf.narrow(0, 0, c), dlogits = dbuf.narrow(0, 0, c), hc = hidden.narrow(0, r0, c);
                    cappedLogits(be, hc, wT, softcap, logits);
                    Tensor g = gLoss.numel() == 1 ? gLoss : gLoss.narrow(0, r0, c);
                    be.crossEntropyBackward(logits, targets.narrow(0, r0, c), ignoreIndex, zLoss, lse.narrow(0, r0, c), g, dlogits);
                    if (softcap > 0) {
                        // d/dx c·tanh(x/c) = 1 − tanh² = 1 − (capped/c)², formed in the logits buffer
                        be.binary(BinaryOp.MUL, logits, logits, logits);
                        be.unary(UnaryOp.AFFINE, logits, logits, -1 / (softcap * softcap), 1);
                        be.binary(BinaryOp.MUL, dlogits, logits, dlogits);
                    }
                    Tensor dl = dlogits;
                    if (low) {
                        dl = d16.narrow(0, 0, c);
                        be.copy(dlogits, dl);
                    }
                    if (gHidden != null) gemm(be, dl.unsqueeze(0), w3, gHidden.narrow(0, r0, c).unsqueeze(0), false);
                    if (gWeight != null) gemm(be, dl.t().unsqueeze(0), hc.unsqueeze(0), gWeight.unsqueeze(0), true);
                }
            }
        }
    }

    /** logits [c, V] = softcap(hidden_c · Wᵀ), in place. */
    private static void cappedLogits(Backend be, Tensor hc, Tensor wT, double softcap, Tensor logits) {
        gemm(be, hc.unsqueeze(0), wT, logits.unsqueeze(0), false);
        if (softcap > 0) {
            be.unary(UnaryOp.AFFINE, logits, logits, 1 / softcap, 0);
            be.unary(UnaryOp.TANH, logits, logits, 0, 0);
            be.unary(UnaryOp.AFFINE, logits, logits, softcap, 0);
        }
    }

    /** F32 operands (or an F32 left operand and a 16-bit weight): matmul; both 16-bit: matmulLowPrecision. */
    private static void gemm(Backend be, Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() == DType.F32) be.matmul(a, w, out, accumulate);
        else be.matmulLowPrecision(a, w, out, accumulate);
    }

    private static void check(Tensor hidden, Tensor weight, Tensor targets, double softcap, Tensor... rows) {
        if (hidden.dim() != 2 || !hidden.isContiguous() || (hidden.dtype() != DType.F32 && hidden.dtype() != weight.dtype())) {
            throw new IllegalArgumentException("linearCrossEntropy needs contiguous hidden [N, H], F32 or the weight's dtype, got " + hidden.describe());
        }
        int n = hidden.size(0);
        if (weight.dim() != 2 || weight.size(1) != hidden.size(1) || !weight.dtype().isFloating()) {
            throw new IllegalArgumentException("linearCrossEntropy needs a floating weight [V, " + hidden.size(1) + "], got " + weight.describe());
        }
        if (targets.dim() != 1 || targets.size(0) != n || targets.dtype().isFloating() || !targets.isContiguous()) {
            throw new IllegalArgumentException("linearCrossEntropy needs contiguous integer targets [" + n + "], got " + targets.describe());
        }
        if (!(softcap >= 0) || Double.isInfinite(softcap)) throw new IllegalArgumentException("softcap must be finite and >= 0 (0 = none), got " + softcap);
        for (Tensor t : rows) {
            if (t.numel() != n || t.dtype() != DType.F32 || !t.isContiguous()) {
                throw new IllegalArgumentException("linearCrossEntropy needs contiguous F32 per-row tensors of " + n + " elements, got " + t.describe());
            }
        }
    }

    private static void requireF32(Tensor g, int rows, int cols, String name) {
        if (g != null && (g.dim() != 2 || g.size(0) != rows || g.size(1) != cols || g.dtype() != DType.F32 || !g.isContiguous())) {
            throw new IllegalArgumentException("linearCrossEntropyBackward needs " + name + " as contiguous F32 [" + rows + ", " + cols + "], got " + g.describe());
        }
    }
}
