package io.liquid4j.tensor;

/**
 * The composed default of {@link Backend#crossEntropy} / {@link Backend#crossEntropyBackward}:
 * the same per-row results built from the backend's generic ops (logsumexp reduction, gather,
 * elementwise, scatter-add). A backend without a fused kernel inherits it, and the tests use it
 * as the oracle of the kernels.
 *
 * <p>It never synchronises with the host, so an out-of-range target cannot throw here: that
 * row's loss (and gradient) becomes NaN, as on CUDA. The backward computes into grad itself
 * (or one F32 [N, V] work array when grad is BF16), in place pass by pass.
 */
final class CrossEntropyReference {
    private CrossEntropyReference() {}

    /** Shape and dtype checks shared by the fused kernels' entry points. */
    static void check(String op, Tensor logits, Tensor targets, Tensor... rowTensors) {
        if (logits.dim() != 2 || !logits.isContiguous() || (logits.dtype() != DType.F32 && logits.dtype() != DType.BF16)) {
            throw new IllegalArgumentException(op + " needs contiguous F32/BF16 logits [N, V], got " + logits.describe());
        }
        int n = logits.size(0);
        if (targets.dim() != 1 || targets.size(0) != n || targets.dtype().isFloating() || !targets.isContiguous()) {
            throw new IllegalArgumentException(op + " needs contiguous integer targets [" + n + "], got " + targets.describe());
        }
        for (Tensor t : rowTensors) {
            if (t.numel() != n || t.dtype() != DType.F32 || !t.isContiguous()) {
                throw new IllegalArgumentException(op + " needs contiguous F32 per-row tensors of " + n + " elements, got " + t.describe());
            }
        }
    }

    static void forward(Backend be, Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor loss, Tensor lse) {
        check("crossEntropy", logits, targets, loss, lse);
        int n = logits.size(0), v = logits.size(1);
        if (n == 0) return;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            be.reduce(ReduceOp.LOGSUMEXP, logits, 1, lse.reshape(n, 1));
            Rows rows = Rows.of(targets, ignoreIndex, v);
            Tensor picked = logits.gather(1, rows.safe.reshape(n, 1)).reshape(n).to(DType.F32);
            Tensor perRow = lse.sub(picked);
            if (zLoss != 0) perRow = perRow.add(lse.mul(lse).mul(zLoss));
            be.copy(rows.mask(perRow), loss);
        }
    }

    static void backward(Backend be, Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor lse, Tensor gLoss, Tensor grad) {
        check("crossEntropyBackward", logits, targets, lse);
        int n = logits.size(0), v = logits.size(1);
        checkBackward(gLoss, grad, logits);
        if (n == 0) return;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Rows rows = Rows.of(targets, ignoreIndex, v);
            Tensor g = gLoss.numel() == 1 ? gLoss.reshape(1).expand(n) : gLoss;
            // work = exp(logits − lse)·g·(1 + 2λ·lse), then −g at the target: grad, pass by pass
            Tensor work = grad.dtype() == DType.F32 ? grad : Tensor.empty(DType.F32, grad.device(), n, v);
            be.binary(BinaryOp.SUB, logits.to(DType.F32), lse.reshape(n, 1).expand(n, v), work);
            be.unary(UnaryOp.EXP, work, work, 0, 0);
            Tensor scale = rows.mask(g.mul(lse.mul(2 * zLoss).add(1)));
            be.binary(BinaryOp.MUL, work, scale.reshape(n, 1).expand(n, v), work);
            // ignored rows: exactly 0 even where exp(logits − lse) is not finite
            be.where(rows.valid.reshape(n, 1).expand(n, v), work, Tensor.scalar(0, DType.F32, work.device()).expand(n, v), work);
            Tensor minusG = Tensor.where(rows.counted, g.neg(), Tensor.scalar(0, DType.F32, g.device()));
            be.scatterAdd(work, 1, rows.safe.reshape(n, 1), minusG.reshape(n, 1));
            if (work != grad) be.copy(work, grad);
        }
    }

    static void checkBackward(Tensor gLoss, Tensor grad, Tensor logits) {
        int n = logits.size(0);
        if (gLoss.dtype() != DType.F32 || !gLoss.isContiguous() || (gLoss.numel() != 1 && gLoss.numel() != n)) {
            throw new IllegalArgumentException("crossEntropyBackward needs gLoss as contiguous F32 of 1 or " + n + " elements, got " + gLoss.describe());
        }
        if (grad.dim() != 2 || grad.size(0) != n || grad.size(1) != logits.size(1) || !grad.isContiguous()
                || (grad.dtype() != DType.F32 && grad.dtype() != DType.BF16)) {
            throw new IllegalArgumentException("crossEntropyBackward needs grad as contiguous F32/BF16 like logits "
                    + logits.describe() + ", got " + grad.describe());
        }
    }

    /**
     * Per-row target bookkeeping: valid (target ≠ ignoreIndex), counted (valid and in range),
     * safe (the target where counted, else 0: an index every gather accepts).
     */
    private record Rows(Tensor valid, Tensor counted, Tensor safe, Tensor badRow) {
        static Rows of(Tensor targets, long ignoreIndex, int vocab) {
            Tensor t = targets.to(DType.I64);
            Tensor valid = t.ne(ignoreIndex);
            Tensor zero = Tensor.scalar(0, DType.U8, t.device());
            Tensor inRange = Tensor.where(t.ge(0), t.lt(vocab), zero);
            Tensor counted = Tensor.where(valid, inRange, zero);
            Tensor bad = Tensor.where(valid, inRange.eq(0), zero);
            Tensor safe = Tensor.where(counted, t, Tensor.scalar(0, DType.I64, t.device()));
            return new Rows(valid, counted, safe, bad);
        }

        /** perRow where counted, 0 where ignored, NaN where the target is out of range. */
        Tensor mask(Tensor perRow) {
            Tensor zero = Tensor.scalar(0, DType.F32, perRow.device()), nan = Tensor.scalar(Double.NaN, DType.F32, perRow.device());
            return Tensor.where(badRow, nan, Tensor.where(valid, perRow, zero));
        }
    }
}
