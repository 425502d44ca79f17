package io.liquid4j.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The kernels one device provides. Every tensor operation is declared once in {@link Tensor} /
 * {@link F} (shape checks, dtype rules, autograd) and reaches a device only through this
 * interface, so a model moves between CPU and GPU by changing its device.
 *
 * <p>Conventions: tensors passed in are views (shape + strides + offset over a storage of this
 * backend). Unless a method says "contiguous", inputs may have any strides (including 0 for
 * broadcast dims). Outputs are contiguous tensors that the caller allocated with
 * {@link #allocate}. Floating kernels compute in f32 (reductions accumulate in f32 or better),
 * reading and writing BF16/F16 with on-the-fly conversion.
 *
 * <p>Not API: public only for the backend packages ({@code tensor.cpu}, {@code tensor.cuda});
 * applications use {@link Tensor} and {@link F}, and this may change in any version.
 */
public interface Backend {
    Device device();

    /** A human-readable description for `liquid info` (ISA, vector width, threads, library versions). */
    String describe();

    /** Allocates uninitialised storage for numel elements of dtype. */
    Storage allocate(DType dtype, long numel);

    // ---- data movement -------------------------------------------------------------------

    /** dst[i] = convert(src[i]) for equally shaped views (any strides, any dtypes). */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of the view to value (converted to dst's dtype). */
    void fill(Tensor dst, double value);

    /** Contiguous dst: dst[i] = start + i·step. */
    void arange(Tensor dst, double start, double step);

    /**
     * Contiguous floating dst filled from a counter-based generator: element i depends only on
     * (seed, counter + i), so results do not depend on the thread count or the device.
     * normal=false: uniform in [a, b); normal=true: mean a, standard deviation b.
     */
    void random(Tensor dst, boolean normal, long seed, long counter, double a, double b);

    /** Copies host bytes (little-endian, dst's dtype) into contiguous dst. */
    void writeFromHost(MemorySegment host, Tensor dst);

    /** Copies contiguous src into host bytes (little-endian, src's dtype). */
    void readToHost(Tensor src, MemorySegment host);

    // ---- elementwise ---------------------------------------------------------------------

    /** out = op(x; p, q), x and out of equal shape. */
    void unary(UnaryOp op, Tensor x, Tensor out, double p, double q);

    /** gradIn = gradOut · op'(x; y) where y = op(x) was the forward output. */
    void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn, double p, double q);

    /** out = a op b; a and b are already broadcast (expanded) to out's shape. out may alias a. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = cond ? a : b (cond U8), all broadcast to out's shape. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    // ---- reductions ----------------------------------------------------------------------

    /** Reduces x along dim into out, which has x's shape with size 1 at dim. */
    void reduce(ReduceOp op, Tensor x, int dim, Tensor out);

    // ---- linear algebra ------------------------------------------------------------------

    /**
     * out[b] (+)= a[b] · w[b] for 3-D views a [B,M,K] (floating), w [B,K,N] (F32/BF16/F16, any
     * strides), out [B,M,N] contiguous F32. Batch stride 0 (shared weights) is allowed.
     */
    void matmul(Tensor a, Tensor w, Tensor out, boolean accumulate);

    /**
     * Whether {@link #matmulLowPrecision} multiplies 16-bit operands natively (tensor cores), so that
     * callers holding both operands in BF16/F16 should use it rather than {@link #matmul}, which
     * widens a 16-bit weight to F32 first. False by default (the CPU decodes 16-bit weights to f32
     * inside its GEMM either way).
     */
    default boolean hasLowPrecisionGemm() { return false; }

    /**
     * out[b] (+)= a[b] · w[b] with a and w both BF16 or both F16 (any GEMM-compatible strides),
     * F32 accumulation, out contiguous F32 (a backend may accept BF16/F16 out too). The default is
     * the composed reference: a widened to F32, then {@link #matmul}.
     */
    default void matmulLowPrecision(Tensor a, Tensor w, Tensor out, boolean accumulate) {
        if (a.dtype() != w.dtype() || a.dtype() == DType.F32 || !a.dtype().isFloating()) {
            throw new IllegalArgumentException("matmulLowPrecision needs both operands BF16 or both F16, got " + a.dtype() + " and " + w.dtype());
        }
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            matmul(a.to(DType.F32), w, out, accumulate);
        }
    }

    /**
     * out = x·Wᵀ for x contiguous F32 [m, k] and a quantized W [n, k] ({@link F#linear(Tensor,
     * QuantizedWeight, Tensor)}), out contiguous F32 [m, n]. The default dequantizes W to F32 and
     * multiplies: the composed reference.
     */
    default void matmulQuantized(Tensor x, QuantizedWeight w, Tensor out) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            out.copyFrom(x.matmul(w.dequantize().t()));
        }
    }

    /**
     * outs[i] = x·W_iᵀ for several weights over one input (a layer's q/k/v or gate/up projections
     * at inference, {@link F#linears}): x contiguous F32 [m, k] (m, k > 0), each W_i [n_i, k]
     * (F32/BF16/F16, a Linear's weight, any GEMM-compatible strides), outs[i] contiguous F32
     * [m, n_i]. A backend may run them as one job (x read once, one hand-off to its threads); each
     * output must be what {@link #matmul} gives for it. The default is that composed reference:
     * one matmul per weight.
     */
    default void linears(Tensor x, Tensor[] weights, Tensor[] outs) {
        for (int i = 0; i < weights.length; i++) matmul(x.unsqueeze(0), weights[i].t().unsqueeze(0), outs[i].unsqueeze(0), false);
    }

    /**
     * outs[i] = x·W_iᵀ for several quantized weights over one input, as {@link #linears} for
     * {@link #matmulQuantized}: x contiguous F32 [m, k], outs[i] contiguous F32 [m, n_i]. The default
     * is one matmulQuantized per weight.
     */
    default void linearsQuantized(Tensor x, QuantizedWeight[] weights, Tensor[] outs) {
        for (int i = 0; i < weights.length; i++) matmulQuantized(x, weights[i], outs[i]);
    }

    // ---- fused row kernels (contiguous, over the last dimension) -------------------------

    /** out = softmax(x) or log_softmax(x) over the last dim. */
    void softmax(Tensor x, Tensor out, boolean log);

    /** gx from the forward output y and its gradient gy. */
    void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log);

    /** out = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps) per row (saved for backward). w may be null. */
    void rmsNorm(Tensor x, Tensor w, double eps, Tensor out, Tensor rstd);

    /** Gradients of rmsNorm: gx always; gw (may be null) accumulated over rows. */
    void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor gy, Tensor gx, Tensor gw);

    /** out = (x − mean) · rstd · w + b per row; w, b may be null; saves mean and rstd. */
    void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out, Tensor mean, Tensor rstd);

    /** Gradients of layerNorm: gx; gw and gb (either may be null) accumulated over rows. */
    void layerNormBackward(Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb);

    // ---- indexing ------------------------------------------------------------------------

    /** out = x.index_select(dim, idx) with 1-D integer idx; indices are range-checked. */
    void indexSelect(Tensor x, int dim, Tensor idx, Tensor out);

    /** dst.index_add_(dim, idx, src): dst[.., idx[i], ..] += src[.., i, ..]. */
    void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src);

    /** out = x.gather(dim, idx): out[..i..] = x[..idx[..i..]..] along dim. */
    void gather(Tensor x, int dim, Tensor idx, Tensor out);

    /** dst.scatter_add_(dim, idx, src). */
    void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src);

    // ---- convolution helpers -------------------------------------------------------------

    /**
     * x [N,C,H,W] → cols [N, C·kh·kw, OH·OW] (zero padding), the im2col layout that turns a
     * convolution into one GEMM per image.
     */
    void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols);

    /** The adjoint of im2col: scatters cols [N, C·kh·kw, OH·OW] back into x [N,C,H,W] (overwrites x). */
    void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x);

    // ---- fused ops ---------------------------------------------------------------------
    // Each is declared once in F (checks, autograd node). The default method here is its
    // composed reference, built from the primitive ops above; a backend overrides it with a
    // kernel of its own or inherits it. Tests hold every override to its reference.

    /**
     * Attention forward ({@link F#attention}): q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv,
     * Lk, Dv] (any floating dtype, last dim stride 1, other strides free) → out [B, Hq, Lq, Dv] and the
     * per-query logsumexp of the visible scores lse [B, Hq, Lq], both contiguous F32 (lse −∞ and
     * out 0 for a query that sees no key). Which keys are visible: {@link AttentionSpec}.
     */
    default void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse) {
        AttentionReference.forward(q, k, v, spec, out, lse);
    }

    /**
     * Attention backward from the forward's out and lse and the output gradient gOut
     * (contiguous F32 like out): writes gq [B, Hq, Lq, D] and gk, gv [B, Hkv, Lk, D] (contiguous
     * F32, overwritten; the query heads of a group are summed into their KV head). gv and gOut
     * have v's and out's head dim Dv.
     */
    default void attentionBackward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse,
                                   Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        AttentionReference.backward(q, k, v, spec, out, lse, gOut, gq, gk, gv);
    }

    /**
     * Inference GroupNorm (no autograd): out = [silu](groupNorm(x, groups) · w + b) for x and out
     * contiguous F32 [N, C, ...], w and b [C] or null.
     */
    default void groupNormForward(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out) {
        GroupNormReference.inference(this, x, groups, w, b, eps, silu, out);
    }

    /**
     * Training GroupNorm forward ({@link F#groupNorm} and {@link F#groupNormSilu} under autograd):
     * {@link #groupNormForward}'s out, and each (image, group)'s mean and rstd = 1/√(var + eps)
     * into mean and rstd (contiguous F32 [N, groups]) for {@link #groupNormBackward}.
     */
    default void groupNormTrain(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out, Tensor mean, Tensor rstd) {
        GroupNormReference.forward(this, x, groups, w, b, eps, silu, out, mean, rstd);
    }

    /**
     * Gradients of {@link #groupNormTrain} from gy (contiguous F32 like x): gx overwritten; gw and
     * gb [C] (F32, either may be null) accumulated. b is read only with silu (the SiLU's input).
     */
    default void groupNormBackward(Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor mean, Tensor rstd, Tensor gy,
                                   Tensor gx, Tensor gw, Tensor gb) {
        GroupNormReference.backward(this, x, groups, w, b, silu, mean, rstd, gy, gx, gw, gb);
    }

    /**
     * Inference convolution (no autograd): out [N,O,OH,OW] = conv(x [N,C,H,W], w [O,C,kh,kw]) +
     * b [O] (b may be null), stride sh×sw, zero padding ph×pw, all contiguous F32. Reference:
     * im2col and one GEMM.
     */
    default void conv2dForward(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, Tensor out) {
        ConvReference.conv2d(this, x, w, b, sh, sw, ph, pw, out);
    }

    /**
     * Inference convolution of the nearest-neighbour upsampled input, out = conv(upsample(x,
     * scale), w) + b, stride 1, padding ph×pw (contiguous F32, b may be null). Reference: build
     * the upsampled input, then {@link #conv2dForward}.
     */
    default void upsampleConv2dForward(Tensor x, int scale, Tensor w, Tensor b, int ph, int pw, Tensor out) {
        ConvReference.upsampleConv2d(this, x, scale, w, b, ph, pw, out);
    }

    // ---- fused ops: rotary position embedding ---------------------------------------------

    /**
     * {@link F#rope}: out [B, H, L, D] (contiguous, x's dtype) = x rotated by the angles whose
     * cos and sin (F32 [B or 1, 1, L, D/2]) are given; inverse rotates back (sin negated: the
     * backward). x may be any view.
     */
    default void rope(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        RopeReference.apply(x, cos, sin, inverse, out);
    }

    // ---- fused ops: gated activation ----------------------------------------------------

    /**
     * {@link F#gatedActivation}: out = act(gate) ⊙ up, all of one shape and floating dtype,
     * contiguous. Default: composed of {@link #unary} and {@link #binary}.
     */
    default void gatedActivation(UnaryOp act, Tensor gate, Tensor up, Tensor out) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor a = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
            unary(act, gate, a, 0, 0);
            binary(BinaryOp.MUL, a, up, out);
        }
    }

    /**
     * Its backward from the output gradient g: gGate = g ⊙ up ⊙ act'(gate), gUp = g ⊙ act(gate),
     * in the order the composed ops round them (g·up first, then times act'), so a fused kernel
     * gives the composed bits. Default: composed of {@link #unary}, {@link #binary} and {@link #unaryBackward}.
     */
    default void gatedActivationBackward(UnaryOp act, Tensor gate, Tensor up, Tensor g, Tensor gGate, Tensor gUp) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor a = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
            unary(act, gate, a, 0, 0);
            binary(BinaryOp.MUL, g, a, gUp);
            Tensor gA = Tensor.empty(g.dtype(), g.device(), g.shape());
            binary(BinaryOp.MUL, g, up, gA);
            unaryBackward(act, gate, a, gA, gGate, 0, 0);
        }
    }

    // ---- fused ops: cross-entropy --------------------------------------------------------

    /**
     * Per-row cross-entropy with z-loss over contiguous logits [N, V] (F32 or BF16) and contiguous
     * integer targets [N]: lse[r] = logsumexp(logits[r]) and loss[r] = lse[r] − logits[r, t_r] +
     * zLoss·lse[r]², both contiguous F32 [N]. Rows whose target equals ignoreIndex get loss 0 (lse
     * is still written). A target outside [0, V) that is not ignoreIndex: a backend that can fail
     * without a host sync throws IllegalArgumentException naming the id and the row (the CPU);
     * one that cannot (CUDA) sets that row's loss to NaN, so the mean becomes NaN.
     * Default: {@link CrossEntropyReference}, composed from other backend ops.
     */
    default void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor loss, Tensor lse) {
        CrossEntropyReference.forward(this, logits, targets, ignoreIndex, zLoss, loss, lse);
    }

    /**
     * Gradient of {@link #crossEntropy}: grad[r] = g_r·(softmax(logits[r])·(1 + 2·zLoss·lse[r]) −
     * onehot(t_r)), 0 for ignored rows (NaN rows where the forward gave NaN). gLoss is contiguous
     * F32, either [N] (g_r = gLoss[r]) or one element (the same g for every row). grad is
     * contiguous [N, V], F32 or BF16, and may be logits itself (written in place): nothing of
     * size [N, V] is allocated besides it.
     */
    default void crossEntropyBackward(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor lse, Tensor gLoss, Tensor grad) {
        CrossEntropyReference.backward(this, logits, targets, ignoreIndex, zLoss, lse, gLoss, grad);
    }

    /**
     * {@link #crossEntropy} of the LM head's logits, hidden [N, H] · weightᵀ ([V, H]), with
     * Gemma 2's final-logit softcap c·tanh(logits / c) applied first (softcap 0 = none), without
     * ever holding the [N, V] logits: loss and lse (contiguous F32 [N]) as in crossEntropy, of the
     * capped logits. hidden is contiguous F32, or in the weight's BF16/F16 dtype when
     * {@link #hasLowPrecisionGemm} (then the GEMMs run on 16-bit operands: the backward rounds each
     * chunk's dlogits to that dtype, as mixed-precision training does); weight F32/BF16/F16 with
     * unit stride along H. Default: {@link LinearCrossEntropyChunked}, row chunks over {@link #matmul} and the
     * crossEntropy kernels.
     */
    default void linearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                                    Tensor loss, Tensor lse) {
        LinearCrossEntropyChunked.forward(this, hidden, weight, targets, ignoreIndex, zLoss, softcap, loss, lse);
    }

    /**
     * Gradients of {@link #linearCrossEntropy} for per-row upstream gradients gLoss (as in
     * {@link #crossEntropyBackward}) and the forward's lse: gHidden [N, H] is overwritten with
     * dlogits · weight, gWeight [V, H] accumulates dlogitsᵀ · hidden (+=); both contiguous F32,
     * either may be null (not wanted). The logits are recomputed chunk by chunk, never whole.
     */
    default void linearCrossEntropyBackward(Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, double zLoss, double softcap,
                                            Tensor lse, Tensor gLoss, Tensor gHidden, Tensor gWeight) {
        LinearCrossEntropyChunked.backward(this, hidden, weight, targets, ignoreIndex, zLoss, softcap, lse, gLoss, gHidden, gWeight);
    }

    // ---- fused ops: optimizer ------------------------------------------------------------

    /**
     * One AdamW update of a parameter in place ({@link F#adamwUpdate}): param (F32, or BF16/F16
     * with an F32 master copy that takes the update and is written back rounded), grad (any
     * floating dtype), the F32 moments expAvg and expAvgSq; all contiguous with param's numel.
     */
    default void adamwUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, F.AdamWStep step) {
        AdamWReference.update(param, grad, expAvg, expAvgSq, master, step);
    }

    /**
     * {@link F#sumsOfSquares}: Σ x² of each tensor as x.to(F32) squared, summed by sum() and read
     * with item() gives it. The default is exactly that, tensor by tensor.
     */
    default double[] sumsOfSquares(java.util.List<Tensor> ts) {
        double[] out = new double[ts.size()];
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            for (int i = 0; i < out.length; i++) {
                Tensor f = ts.get(i).to(DType.F32);
                out[i] = f.mul(f).sum().item();
            }
        }
        return out;
    }

    /**
     * {@link #adamwUpdate} of every slot ({@link F#adamwUpdateAll}; same scalars, one device). The
     * default updates the slots one by one; a backend with a multi-tensor kernel does all in one pass.
     */
    default void adamwUpdateAll(java.util.List<F.AdamWSlot> slots, F.AdamWStep step) {
        for (F.AdamWSlot s : slots) adamwUpdate(s.param(), s.grad(), s.expAvg(), s.expAvgSq(), s.master(), step);
    }
}
