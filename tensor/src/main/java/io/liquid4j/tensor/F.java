package io.liquid4j.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Neural-network operations (the torch.nn.functional of liquid4j). Fused kernels (softmax,
 * norms) have explicit backward passes; the rest compose from {@link Tensor} ops, so their
 * gradients come from the ops they are built of.
 */
public final class F {
    private F() {}

    // ---- linear layers -------------------------------------------------------------------

    /** x · wᵀ + b for a weight in PyTorch layout [out, in]; b may be null. BF16 weights stay BF16. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (w.dim() != 2) throw new IllegalArgumentException("linear weight must be 2-D [out, in], got " + w.describe());
        if (x.size(-1) != w.size(1)) {
            throw new IllegalArgumentException("linear: input has " + x.size(-1) + " features, weight " + Arrays.toString(w.shape()) + " expects " + w.size(1));
        }
        Tensor y = w.isLeaf() && w.requiresGrad() && w.dtype() == DType.F32 && GradMode.isEnabled() ? linearLeafWeight(x, w) : x.matmul(w.t());
        return b == null ? y : y.add(b);
    }

    /**
     * x · wᵀ for a trainable F32 weight (a leaf): the same product as x.matmul(w.t()), but its
     * backward writes the weight's gradient gᵀ·x straight into w.grad() in w's own [out, in]
     * layout (GEMM accumulating into an existing gradient, or a new tensor that becomes it), the
     * way {@link #linearCrossEntropy} treats its leaf weight. Through the composed matmul the
     * gradient arrives as the transposed view of an [in, out] product, which the engine copies
     * (transposing) into .grad: one weight-sized copy per Linear per step (~2% of the demo
     * LM's training step, BENCHMARKS.md "Where a training step goes, op by op").
     */
    private static Tensor linearLeafWeight(Tensor x, Tensor w) {
        Tensor y = noGrad(() -> x.matmul(w.t()));
        int out = w.size(0), in = w.size(1);
        return Autograd.record(y, "linear", g -> {
            Tensor gx = x.requiresGrad() ? g.matmul(w).to(x.dtype()) : null;
            int rows = (int) (g.numel() / Math.max(1, out));
            Tensor g2 = g.to(DType.F32).reshape(1, rows, out).transpose(1, 2);        // gᵀ [1, out, rows]
            Tensor x2 = x.to(DType.F32).reshape(1, rows, in);
            Tensor grad = w.grad();
            if (grad != null && grad.dtype() == DType.F32 && grad.isContiguous()) {
                w.backend().matmul(g2, x2, grad.reshape(1, out, in), true);
            } else {
                Tensor gw = Tensor.empty(DType.F32, w.device(), 1, out, in);
                w.backend().matmul(g2, x2, gw, false);
                if (grad == null) w.setGrad(gw.reshape(out, in));
                else grad.addInPlace(gw.reshape(out, in));
            }
            return new Tensor[] {gx, null};
        }, x, w);
    }

    /**
     * x·W_iᵀ for several weights over the same input (a layer's q/k/v or gate/up projections),
     * as one product: the weights' rows stacked into one [Σ out_i, in] matrix, one GEMM, and the
     * outputs its column blocks (views). The backward is one GEMM for x's gradient and one for the
     * stacked weights' gradient, which goes straight into each weight's .grad, as
     * {@link #linear} does for a leaf weight. Against separate products that reads x once instead
     * of once per weight, sums x's gradient inside the GEMM instead of adding [rows, in] tensors,
     * and gives the GEMM n = Σ out_i instead of each out_i (BENCHMARKS.md: the demo's 128 × 128
     * projections ran at 77 GFLOP/s, its 128 × 384 ones at 113).
     *
     * <p>Fused while training trainable F32 leaf weights of x's width (what {@link #linear}'s leaf
     * path takes); anything else (no grad, 16-bit or frozen weights) is the separate products.
     * The composed reference is those: {@code linear(x, w_i, null)} for each i.
     */
    public static Tensor[] linears(Tensor x, Tensor... weights) {
        boolean fuse = GradMode.isEnabled() && weights.length > 1 && x.dtype() == DType.F32;
        for (Tensor w : weights) {
            fuse &= w.dim() == 2 && w.dtype() == DType.F32 && w.isLeaf() && w.requiresGrad() && w.size(1) == x.size(-1)
                    && w.device().equals(x.device());
        }
        if (!fuse) {
            if (withoutGradient(x, weights)) return products(x, weights);
            Tensor[] out = new Tensor[weights.length];
            for (int i = 0; i < weights.length; i++) out[i] = linear(x, weights[i], null);
            return out;
        }
        int in = x.size(-1), total = 0;
        int[] starts = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            starts[i] = total;
            total += weights[i].size(0);
        }
        int stacked = total;
        Tensor w = noGrad(() -> Tensor.cat(0, weights));                          // [Σ out, in]
        Tensor y = noGrad(() -> x.matmul(w.t()));                                  // [..., Σ out]
        boolean[] arrived = new boolean[weights.length];
        Tensor[] buffer = new Tensor[1];
        Tensor[] inputs = new Tensor[weights.length + 1];
        inputs[0] = x;
        System.arraycopy(weights, 0, inputs, 1, weights.length);
        Tensor yRec = Autograd.record(y, "linears", g -> {
            // column blocks whose output got no gradient were never written (see below)
            for (int i = 0; i < weights.length; i++) if (!arrived[i]) g.narrow(-1, starts[i], weights[i].size(0)).fill(0);
            Tensor gx = x.requiresGrad() ? g.matmul(w) : null;
            int rows = (int) (g.numel() / stacked);
            Tensor gw = Tensor.empty(DType.F32, w.device(), 1, stacked, in);
            w.backend().matmul(g.reshape(1, rows, stacked).transpose(1, 2), x.reshape(1, rows, in), gw, false);
            for (int i = 0; i < weights.length; i++) {
                Tensor gi = gw.reshape(stacked, in).narrow(0, starts[i], weights[i].size(0));
                Tensor grad = weights[i].grad();
                if (grad == null) {
                    Tensor own = Tensor.empty(DType.F32, w.device(), weights[i].shape());
                    own.copyFrom(gi);
                    weights[i].setGrad(own);
                } else {
                    grad.addInPlace(gi);
                }
            }
            // a second backward over this graph assembles its gradients afresh
            buffer[0] = null;
            java.util.Arrays.fill(arrived, false);
            Tensor[] grads = new Tensor[inputs.length];
            grads[0] = gx;
            return grads;
        }, inputs);
        // The outputs are column blocks of y, and y is used by nothing else: their gradients are
        // written into one [..., Σ out] buffer, which the first block to get its gradient hands
        // to y (a slice's usual backward would add a zero-filled y-sized tensor per block).
        Tensor[] out = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            int b = i, start = starts[i], len = weights[i].size(0);
            out[i] = Autograd.record(yRec.detach().narrow(-1, start, len), "linears_output", g -> {
                boolean first = buffer[0] == null;
                if (first) buffer[0] = Tensor.empty(DType.F32, g.device(), y.shape());
                buffer[0].narrow(-1, start, len).copyFrom(g);
                arrived[b] = true;
                return new Tensor[] {first ? buffer[0] : null};
            }, yRec);
        }
        return out;
    }

    /** Whether {@link #linears} records no gradient: grad mode off, or nothing that requires one. */
    private static boolean withoutGradient(Tensor x, Tensor[] weights) {
        if (!GradMode.isEnabled()) return true;
        if (x.requiresGrad()) return false;
        for (Tensor w : weights) if (w.requiresGrad()) return false;
        return true;
    }

    /**
     * {@link #linears} without a gradient (inference: a decode step's q/k/v or gate/up products)
     * as one {@link Backend#linears} call, which may run them as one parallel job; each output
     * as {@link #linear} gives it, in value, dtype and shape.
     */
    private static Tensor[] products(Tensor x, Tensor[] weights) {
        if (weights.length == 0) return new Tensor[0];
        int k = x.size(-1);
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("linears needs a floating input, got " + x.describe());
        int[] widths = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            Tensor w = weights[i];
            if (w.dim() != 2 || w.size(1) != k || !w.dtype().isFloating()) {
                throw new IllegalArgumentException("linears: weight " + i + " " + w.describe() + " is not a floating [out, " + k + "] weight for input "
                        + x.describe());
            }
            Tensor.checkSameDevice("linears", x, w);
            widths[i] = w.size(0);
        }
        Tensor x2 = rowsOf(x);
        Tensor[] out = productOutputs(x2, widths);
        if (x2.size(0) > 0 && k > 0) {
            x.backend().linears(x2, weights, out);
        } else {
            for (Tensor o : out) o.fill(0);
        }
        for (int i = 0; i < weights.length; i++) {
            Tensor y = shapedLike(x, out[i]);
            DType rd = Tensor.promote(x.dtype(), weights[i].dtype());
            out[i] = rd == DType.F32 ? y : noGrad(() -> y.to(rd));
        }
        return out;
    }

    /** x [..., k] as contiguous F32 rows [m, k]: the left operand of the linears ops. */
    private static Tensor rowsOf(Tensor x) {
        int k = x.size(-1), m = (int) (x.numel() / Math.max(1, k));
        return noGrad(() -> x.to(DType.F32).contiguous().reshape(m, k));
    }

    /** One F32 [m, width] output per width, for the rows x2 [m, k]. */
    private static Tensor[] productOutputs(Tensor x2, int[] widths) {
        Tensor[] out = new Tensor[widths.length];
        for (int i = 0; i < widths.length; i++) out[i] = Tensor.empty(DType.F32, x2.device(), x2.size(0), widths[i]);
        return out;
    }

    /** y [m, n] as x's shape [..., k] with n for k. */
    private static Tensor shapedLike(Tensor x, Tensor y) {
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = y.size(1);
        return y.reshape(shape);
    }

    /**
     * x·W_iᵀ for several quantized weights over the same input (a quantized layer's q/k/v or
     * gate/up projections), each output what {@link #linear(Tensor, QuantizedWeight, Tensor)}
     * gives, as one {@link Backend#linearsQuantized} call where no gradient is recorded (one
     * parallel job on the CPU); with a gradient, those separate products.
     */
    public static Tensor[] linears(Tensor x, QuantizedWeight... weights) {
        if (GradMode.isEnabled() && x.requiresGrad() || weights.length < 2) {
            Tensor[] out = new Tensor[weights.length];
            for (int i = 0; i < weights.length; i++) out[i] = linear(x, weights[i], null);
            return out;
        }
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("linears needs a floating input, got " + x.describe());
        int k = x.size(-1);
        int[] widths = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            QuantizedWeight w = weights[i];
            if (w.cols() != k) {
                throw new IllegalArgumentException("linears: input has " + k + " features, the " + w.format().id() + " weight " + i + " [" + w.rows() + ", "
                        + w.cols() + "] expects " + w.cols());
            }
            if (!x.device().equals(w.device())) throw new IllegalArgumentException("linears: input on " + x.device() + ", quantized weight " + i + " on " + w.device());
            widths[i] = w.rows();
        }
        Tensor x2 = rowsOf(x);
        Tensor[] out = productOutputs(x2, widths);
        if (x2.size(0) > 0) x.backend().linearsQuantized(x2, weights, out);
        for (int i = 0; i < weights.length; i++) out[i] = shapedLike(x, out[i]);
        return out;
    }

    /**
     * y = x·Wᵀ + b for a quantized weight W [n, k] ({@link QuantizedWeight}): x [..., k] of any
     * floating dtype → F32 [..., n]. The codes are decoded inside the kernel (the CPU's GEMV for
     * decode-sized inputs). The weight takes no gradient; x does (through the dequantized W).
     */
    public static Tensor linear(Tensor x, QuantizedWeight w, Tensor b) {
        if (x.size(-1) != w.cols()) {
            throw new IllegalArgumentException("linear: input has " + x.size(-1) + " features, the " + w.format().id() + " weight [" + w.rows() + ", "
                    + w.cols() + "] expects " + w.cols());
        }
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("linear needs a floating input, got " + x.describe());
        if (!x.device().equals(w.device())) throw new IllegalArgumentException("linear: input on " + x.device() + ", quantized weight on " + w.device());
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = w.rows();
        int m = (int) (x.numel() / Math.max(1, w.cols()));
        Tensor x2 = noGrad(() -> x.to(DType.F32).contiguous().reshape(m, w.cols()));
        Tensor out = Tensor.empty(DType.F32, x.device(), m, w.rows());
        if (m > 0) x.backend().matmulQuantized(x2, w, out);
        Tensor y = Autograd.record(out.reshape(shape), "linear_quantized", g -> {
            Tensor gx = g.reshape(m, w.rows()).matmul(w.dequantize()).reshape(x.shape());
            return new Tensor[] {gx.to(x.dtype())};
        }, x);
        return b == null ? y : y.add(b);
    }

    /**
     * act(gate) ⊙ up, the gated MLP's activation (SwiGLU with SILU, GeGLU with GELU_TANH), as one
     * op: one pass forward, one backward pass that writes both gradients, and act(gate) is never
     * kept for the backward. The composed act(gate).mul(up) computes the same values (the CPU
     * kernel the same bits); where the two differ in shape or dtype, or gate is not floating,
     * that is what runs.
     */
    public static Tensor gatedActivation(Tensor gate, Tensor up, UnaryOp act) {
        if (!Arrays.equals(gate.shape(), up.shape()) || gate.dtype() != up.dtype() || !gate.dtype().isFloating() || !gate.device().equals(up.device())) {
            return gate.unary(act, 0, 0).mul(up);
        }
        Tensor gc = noGrad(gate::contiguous), uc = noGrad(up::contiguous);
        Tensor out = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
        gate.backend().gatedActivation(act, gc, uc, out);
        return Autograd.record(out, "gated_" + act.name().toLowerCase(java.util.Locale.ROOT), g -> {
            Tensor gGate = Tensor.empty(gate.dtype(), gate.device(), gate.shape()), gUp = Tensor.empty(up.dtype(), up.device(), up.shape());
            gate.backend().gatedActivationBackward(act, gc, uc, g.to(gate.dtype()).contiguous(), gGate, gUp);
            return new Tensor[] {gate.requiresGrad() ? gGate : null, up.requiresGrad() ? gUp : null};
        }, gate, up);
    }

    /** Rows of weight [vocab, dim] for integer ids of any shape → [..., dim]. */
    public static Tensor embedding(Tensor ids, Tensor weight) {
        int[] s = Arrays.copyOf(ids.shape(), ids.dim() + 1);
        s[ids.dim()] = weight.size(1);
        return weight.indexSelect(0, ids.reshape(-1)).reshape(s);
    }

    // ---- softmax family ------------------------------------------------------------------

    public static Tensor softmax(Tensor x, int dim) { return softmaxImpl(x, dim, false); }

    public static Tensor logSoftmax(Tensor x, int dim) { return softmaxImpl(x, dim, true); }

    private static Tensor softmaxImpl(Tensor x, int dim, boolean log) {
        int d = Tensor.normDim(dim, x.dim());
        if (d != x.dim() - 1) {
            // kernels work on the last dim: move dim there and back (autograd follows the views)
            return softmaxImpl(x.transpose(d, -1), -1, log).transpose(d, -1);
        }
        DType dt = x.dtype();
        Tensor xf;
        try (var _ = GradMode.noGrad()) {
            xf = x.to(DType.F32).contiguous();
        }
        Tensor y = Tensor.empty(DType.F32, x.device(), x.shape());
        x.backend().softmax(xf, y, log);
        Tensor out = dt == DType.F32 ? y : noGrad(() -> y.to(dt));
        return Autograd.record(out, log ? "log_softmax" : "softmax", g -> {
            Tensor gf = g.to(DType.F32).contiguous();
            Tensor gx = Tensor.empty(DType.F32, g.device(), y.shape());
            y.backend().softmaxBackward(y, gf, gx, log);
            return new Tensor[] {gx.to(dt)};
        }, x);
    }

    // ---- normalisation -------------------------------------------------------------------

    /** RMSNorm over the last dim: x / sqrt(mean(x²) + eps) · w (w may be null). Computed in f32. */
    public static Tensor rmsNorm(Tensor x, Tensor w, double eps) {
        checkNormWeight("rmsNorm", x, w);
        DType dt = x.dtype();
        Tensor xf = noGrad(() -> x.to(DType.F32).contiguous());
        int[] rs = Arrays.copyOf(x.shape(), x.dim() - 1);
        Tensor out = Tensor.empty(DType.F32, x.device(), x.shape());
        Tensor rstd = Tensor.empty(DType.F32, x.device(), rs);
        x.backend().rmsNorm(xf, w, eps, out, rstd);
        Tensor res = dt == DType.F32 ? out : noGrad(() -> out.to(dt));
        return Autograd.record(res, "rms_norm", g -> {
            Tensor gf = g.to(DType.F32).contiguous();
            Tensor gx = Tensor.empty(DType.F32, g.device(), x.shape());
            Tensor gw = w != null && w.requiresGrad() ? Tensor.zeros(DType.F32, g.device(), w.shape()) : null;
            x.backend().rmsNormBackward(xf, w, rstd, gf, gx, gw);
            return new Tensor[] {gx.to(dt), gw};
        }, x, w);
    }

    /** LayerNorm over the last dim; w and b may be null. Computed in f32. */
    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        checkNormWeight("layerNorm", x, w);
        checkNormWeight("layerNorm", x, b);
        DType dt = x.dtype();
        Tensor xf = noGrad(() -> x.to(DType.F32).contiguous());
        int[] rs = Arrays.copyOf(x.shape(), x.dim() - 1);
        Tensor out = Tensor.empty(DType.F32, x.device(), x.shape());
        Tensor mean = Tensor.empty(DType.F32, x.device(), rs);
        Tensor rstd = Tensor.empty(DType.F32, x.device(), rs);
        x.backend().layerNorm(xf, w, b, eps, out, mean, rstd);
        Tensor res = dt == DType.F32 ? out : noGrad(() -> out.to(dt));
        return Autograd.record(res, "layer_norm", g -> {
            Tensor gf = g.to(DType.F32).contiguous();
            Tensor gx = Tensor.empty(DType.F32, g.device(), x.shape());
            Tensor gw = w != null && w.requiresGrad() ? Tensor.zeros(DType.F32, g.device(), w.shape()) : null;
            Tensor gb = b != null && b.requiresGrad() ? Tensor.zeros(DType.F32, g.device(), b.shape()) : null;
            x.backend().layerNormBackward(xf, w, mean, rstd, gf, gx, gw, gb);
            return new Tensor[] {gx.to(dt), gw, gb};
        }, x, w, b);
    }

    private static void checkNormWeight(String op, Tensor x, Tensor w) {
        if (x.dim() == 0) throw new IllegalArgumentException(op + " of a 0-d tensor");
        if (w != null && (w.dim() != 1 || w.size(0) != x.size(-1))) {
            throw new IllegalArgumentException(op + ": weight " + w.describe() + " does not match last dim " + x.size(-1) + " of " + x.describe());
        }
    }

    /**
     * GroupNorm of x [N, C, ...] with `groups` groups over (C/groups · spatial) elements; affine
     * w, b of shape [C] (may be null). Population variance, as PyTorch.
     */
    public static Tensor groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps) {
        return groupNorm(x, groups, w, b, eps, false);
    }

    /**
     * silu(groupNorm(x, groups, w, b, eps)): the VQGAN's norm + swish. Without autograd both run
     * as one fused pass where the backend has it ({@link Backend#groupNormForward}); under
     * autograd forward and backward are one fused op each ({@link Backend#groupNormTrain},
     * {@link Backend#groupNormBackward}), as is plain {@link #groupNorm}.
     */
    public static Tensor groupNormSilu(Tensor x, int groups, Tensor w, Tensor b, double eps) {
        return groupNorm(x, groups, w, b, eps, true);
    }

    private static Tensor groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu) {
        if (x.dim() < 2) throw new IllegalArgumentException("groupNorm needs [N, C, ...], got " + x.describe());
        int n = x.size(0), c = x.size(1);
        if (groups <= 0 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels are not divisible into " + groups + " groups");
        if (!Autograd.needsGrad(x, w, b)) {
            return fusedInference(x.shape(), (be, f, out) -> be.groupNormForward(f[0], groups, f[1], f[2], eps, silu, out), x, w, b);
        }
        if (w != null && (w.dim() != 1 || w.size(0) != c) || b != null && (b.dim() != 1 || b.size(0) != c)) {
            throw new IllegalArgumentException("groupNorm: weight and bias must be [" + c + "], got "
                    + (w == null ? "none" : w.describe()) + " and " + (b == null ? "none" : b.describe()));
        }
        DType dt = x.dtype();
        Tensor xf = noGrad(() -> x.to(DType.F32).contiguous());
        Tensor out = Tensor.empty(DType.F32, x.device(), x.shape());
        Tensor mean = Tensor.empty(DType.F32, x.device(), n, groups), rstd = Tensor.empty(DType.F32, x.device(), n, groups);
        x.backend().groupNormTrain(xf, groups, w, b, eps, silu, out, mean, rstd);
        Tensor res = dt == DType.F32 ? out : noGrad(() -> out.to(dt));
        return Autograd.record(res, silu ? "group_norm_silu" : "group_norm", g -> {
            Tensor gf = g.to(DType.F32).contiguous();
            Tensor gx = Tensor.empty(DType.F32, g.device(), x.shape());
            Tensor gw = w != null && w.requiresGrad() ? Tensor.zeros(DType.F32, g.device(), w.shape()) : null;
            Tensor gb = b != null && b.requiresGrad() ? Tensor.zeros(DType.F32, g.device(), b.shape()) : null;
            x.backend().groupNormBackward(xf, groups, w, b, silu, mean, rstd, gf, gx, gw, gb);
            return new Tensor[] {gx.to(dt), gw, gb};
        }, x, w, b);
    }

    // ---- convolution and resampling ------------------------------------------------------

    /**
     * Output pixels per image from which a stride-1 training convolution takes {@link #conv2dStride1}
     * (system property liquid4j.conv.stride1MinPixels): at 8×8 and 16×16 an image is a few Winograd
     * tiles and the composed path's batched GEMMs were faster (BENCHMARKS.md, ConvTrainBench; measured
     * on the CPU backend only, the CUDA backend follows the same rule unmeasured). Only
     * where the input needs a gradient: that is what the path saves (a first layer's forward is
     * faster as the composed batched GEMM).
     */
    static final long CONV_STRIDE1_MIN_PIXELS = Long.getLong("liquid4j.conv.stride1MinPixels", 1024);

    /** 2-D convolution, x [N,C,H,W], w [O,C,kh,kw], b [O] or null; symmetric zero padding. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int stride, int padding) {
        return conv2d(x, w, b, stride, stride, padding, padding);
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw) {
        if (x.dim() != 4 || w.dim() != 4) throw new IllegalArgumentException("conv2d needs x [N,C,H,W] and w [O,C,kh,kw], got " + x.describe() + " and " + w.describe());
        if (x.size(1) != w.size(1)) throw new IllegalArgumentException("conv2d: input has " + x.size(1) + " channels, weight expects " + w.size(1));
        if (sh <= 0 || sw <= 0 || ph < 0 || pw < 0) throw new IllegalArgumentException("conv2d: bad stride/padding");
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        // test before dividing: integer division truncates toward zero, so (2 - 3) / 2 + 1 would be 1
        if (h + 2 * ph < kh || wd + 2 * pw < kw) {
            throw new IllegalArgumentException("conv2d: kernel " + kh + "x" + kw + " larger than padded input " + h + "x" + wd
                    + " (padding " + ph + "x" + pw + ")");
        }
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        if (!Autograd.needsGrad(x, w, b)) {
            return fusedInference(new int[] {n, o, oh, ow}, (be, f, out) -> be.conv2dForward(f[0], f[1], f[2], sh, sw, ph, pw, out), x, w, b);
        }
        if (sh == 1 && sw == 1 && (kh > 1 || kw > 1) && ph < kh && pw < kw && x.dtype() == DType.F32 && w.dtype() == DType.F32
                && (long) oh * ow >= CONV_STRIDE1_MIN_PIXELS && x.requiresGrad()) {
            return conv2dStride1(x, w, b, ph, pw, oh, ow);
        }
        return conv2dComposed(x, w, b, sh, sw, ph, pw, oh, ow);
    }

    /**
     * The composed training convolution: im2col (col2im as its backward) and one GEMM per image.
     * The reference that {@link #conv2dStride1} is tested against, and the path of strided
     * convolutions.
     */
    static Tensor conv2dComposed(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, int oh, int ow) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        Tensor y;
        if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0) {
            y = w.reshape(o, c).matmul(x.reshape(n, c, h * wd));            // a 1×1 convolution is a GEMM over the positions
        } else {
            Tensor cols = im2col(x, kh, kw, sh, sw, ph, pw);              // [N, C·kh·kw, OH·OW]
            y = w.reshape(o, c * kh * kw).matmul(cols);                 // [N, O, OH·OW]
        }
        y = y.reshape(n, o, oh, ow);
        if (b != null) y = y.add(b.reshape(1, o, 1, 1));
        return y;
    }

    /**
     * conv2d(upsampleNearest(x, scale), w, b, stride 1, padding): the VQGAN's Upsample. Without
     * autograd the backend may fuse the two and never build the scale²-times larger upsampled
     * input (on the CPU for 3×3 kernels, padding 1, scale 2).
     */
    public static Tensor upsampleConv2d(Tensor x, int scale, Tensor w, Tensor b, int padding) {
        if (!Autograd.needsGrad(x, w, b) && x.dim() == 4 && w.dim() == 4 && x.size(1) == w.size(1) && scale >= 1 && padding >= 0) {
            int oh = x.size(2) * scale + 2 * padding - w.size(2) + 1, ow = x.size(3) * scale + 2 * padding - w.size(3) + 1;
            if (oh > 0 && ow > 0) {
                return fusedInference(new int[] {x.size(0), w.size(0), oh, ow},
                        (be, f, out) -> be.upsampleConv2dForward(f[0], scale, f[1], f[2], padding, padding, out), x, w, b);
            }
        }
        return conv2d(upsampleNearest(x, scale), w, b, 1, padding);
    }

    /** A backend's inference kernel (a fused op without autograd) over F32 contiguous inputs, filling out. */
    @FunctionalInterface
    private interface FusedKernel {
        void run(Backend backend, Tensor[] f32Inputs, Tensor out);
    }

    /**
     * Runs a backend's inference kernel on F32 contiguous copies of the inputs (null entries stay
     * null) into a new F32 tensor of outShape, returned in inputs[0]'s dtype.
     */
    private static Tensor fusedInference(int[] outShape, FusedKernel kernel, Tensor... inputs) {
        Tensor x = inputs[0];
        try (var _ = GradMode.noGrad(); var scope = TensorScope.open()) {
            Tensor[] f32 = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) f32[i] = inputs[i] == null ? null : inputs[i].to(DType.F32).contiguous();
            Tensor y = Tensor.empty(DType.F32, x.device(), outShape);
            kernel.run(x.backend(), f32, y);
            if (x.dtype() != DType.F32) y = y.to(x.dtype());
            return scope.keep(y);
        }
    }

    /**
     * Training convolution of stride 1 with padding below the kernel size (the VQGAN's 3×3
     * convolutions; {@link #conv2d} sends it those on images of at least
     * {@link #CONV_STRIDE1_MIN_PIXELS} outputs), F32. Forward and input gradient run on the backend's inference convolution
     * (Winograd for 3×3 where the channels allow, implicit GEMM otherwise): the input gradient is
     * the convolution of g with the filters transposed to [C, O, kh, kw] and flipped, padding
     * kh − 1 − ph, so the gradient's column matrix ([N, C·kh·kw, OH·OW], written at one
     * multiply-add per element when O is small) and its col2im scatter are never made. The filter
     * gradient is one GEMM per image over im2col(x), recomputed in backward instead of kept alive
     * from the forward pass.
     */
    static Tensor conv2dStride1(Tensor x, Tensor w, Tensor b, int ph, int pw, int oh, int ow) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        Tensor y = fusedInference(new int[] {n, o, oh, ow}, (be, f, out) -> be.conv2dForward(f[0], f[1], f[2], 1, 1, ph, pw, out), x, w, b);
        return Autograd.record(y, "conv2d", g -> {
            Tensor gx = null, gw = null, gb = null;
            if (x.requiresGrad()) {                                   // always, when conv2d chose this path
                Tensor flipped = w.transpose(0, 1)
                        .indexSelect(2, Tensor.arange(kh - 1, -1, -1, DType.I64, w.device()))
                        .indexSelect(3, Tensor.arange(kw - 1, -1, -1, DType.I64, w.device()));
                gx = fusedInference(new int[] {n, c, h, wd},
                        (be, f, out) -> be.conv2dForward(f[0], f[1], null, 1, 1, kh - 1 - ph, kw - 1 - pw, out), g, flipped);
            }
            if (w.requiresGrad()) {
                Tensor cols = Tensor.empty(DType.F32, x.device(), n, c * kh * kw, oh * ow);
                x.backend().im2col(x.contiguous(), kh, kw, 1, 1, ph, pw, cols);
                gw = g.reshape(n, o, oh * ow).matmul(cols.transpose(-1, -2)).sum(0, false).reshape(o, c, kh, kw);
            }
            if (b != null && b.requiresGrad()) gb = g.sum(new int[] {0, 2, 3}, false);
            return new Tensor[] {gx, gw, gb};
        }, x, w, b);
    }

    /** The im2col op with its adjoint (col2im) as backward. */
    static Tensor im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        DType dt = x.dtype();
        Tensor xf = noGrad(() -> x.to(DType.F32).contiguous());
        Tensor cols = Tensor.empty(DType.F32, x.device(), n, c * kh * kw, oh * ow);
        x.backend().im2col(xf, kh, kw, sh, sw, ph, pw, cols);
        return Autograd.record(cols, "im2col", g -> {
            Tensor gx = Tensor.empty(DType.F32, g.device(), n, c, h, wd);
            x.backend().col2im(g.to(DType.F32).contiguous(), kh, kw, sh, sw, ph, pw, gx);
            return new Tensor[] {gx.to(dt)};
        }, x);
    }

    /** Nearest-neighbour upsampling of [N, C, H, W] by an integer factor (each pixel repeated). */
    public static Tensor upsampleNearest(Tensor x, int scale) {
        if (x.dim() != 4) throw new IllegalArgumentException("upsampleNearest needs [N,C,H,W], got " + x.describe());
        if (scale < 1) throw new IllegalArgumentException("upsample scale must be >= 1");
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        // two copies, each with a simple inner loop (repeat columns, then whole rows), run faster
        // than one 6-D broadcast copy with stride-0 in two places
        Tensor wide = x.reshape(n, c, h, w, 1).expand(n, c, h, w, scale).reshape(n, c, h, 1, w * scale);
        return wide.expand(n, c, h, scale, w * scale).reshape(n, c, h * scale, w * scale);
    }

    /**
     * Constant padding, pads given from the LAST dim backwards as in torch.nn.functional.pad:
     * {left, right} pads dim -1, {left, right, top, bottom} pads dims -1 and -2.
     */
    public static Tensor pad(Tensor x, int[] pads, double value) {
        if (pads.length % 2 != 0 || pads.length / 2 > x.dim()) throw new IllegalArgumentException("pad needs pairs for at most " + x.dim() + " dims, got " + Arrays.toString(pads));
        int[] s = x.shape();
        int[] starts = new int[x.dim()];
        for (int i = 0; i < pads.length / 2; i++) {
            int d = x.dim() - 1 - i;
            if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) throw new IllegalArgumentException("negative padding is not supported: " + Arrays.toString(pads));
            s[d] += pads[2 * i] + pads[2 * i + 1];
            starts[d] = pads[2 * i];
        }
        Tensor out = Tensor.full(value, x.dtype(), x.device(), s);
        Tensor window = out.detach();
        for (int d = 0; d < x.dim(); d++) window = window.narrow(d, starts[d], x.size(d));
        try (var _ = GradMode.noGrad()) {
            window.copyFrom(x);
        }
        return Autograd.record(out, "pad", g -> {
            Tensor gi = g;
            for (int d = 0; d < x.dim(); d++) gi = gi.narrow(d, starts[d], x.size(d));
            return new Tensor[] {gi.contiguous()};
        }, x);
    }

    // ---- rotary position embedding ---------------------------------------------------------

    /**
     * Rotary position embedding in HF's rotate-half layout (dimension i pairs with i + D/2):
     * (x1·cos − x2·sin, x2·cos + x1·sin) for the halves x1, x2 of x [B, H, L, D] (any floating
     * dtype and strides, D even), with cos and sin F32 [B or 1, 1, L, D/2] (the tables of
     * nn's RotaryEmbedding; no gradient flows into them). Computed in F32 and returned contiguous
     * in x's dtype, so BF16 activations stay BF16 for the attention kernels (as HF rotates in the
     * model's dtype). A fused op: one pass instead of six elementwise ops and a concatenation; its
     * backward is the inverse rotation (sin negated).
     */
    public static Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        if (x.dim() != 4 || x.size(3) % 2 != 0) throw new IllegalArgumentException("rope needs x [B, H, L, D] with an even D, got " + x.describe());
        int b = x.size(0), l = x.size(2), half = x.size(3) / 2;
        for (Tensor t : new Tensor[] {cos, sin}) {
            if (t.dim() != 4 || (t.size(0) != b && t.size(0) != 1) || t.size(1) != 1 || t.size(2) != l || t.size(3) != half) {
                throw new IllegalArgumentException("rope tables must be [" + b + " or 1, 1, " + l + ", " + half + "] for x " + x.describe() + ", got " + t.describe());
            }
            if (t.dtype() != DType.F32) throw new IllegalArgumentException("rope tables must be F32, got " + t.describe());
            if (t.requiresGrad()) throw new IllegalArgumentException("rope tables take no gradient");
        }
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("rope needs a floating x, got " + x.describe());
        Tensor.checkSameDevice("rope", x, cos);
        Tensor.checkSameDevice("rope", x, sin);
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        x.backend().rope(x, cos, sin, false, out);
        return Autograd.record(out, "rope", g -> {
            Tensor gx = Tensor.empty(x.dtype(), g.device(), x.shape());
            x.backend().rope(g, cos, sin, true, gx);
            return new Tensor[] {gx};
        }, x);
    }

    // ---- attention -----------------------------------------------------------------------

    /**
     * softmax(softcap(scale·q·kᵀ) restricted to the keys the spec makes visible) · v, the only
     * attention of the code base. q and k [B, Hq|Hkv, Lq|Lk, D], v [B, Hkv, Lk, Dv], Hq a multiple of
     * Hkv (grouped-query heads read their KV head in place, never repeated in memory); 3-D
     * [B, L, D] operands are one head. Any floating dtypes; the result has q's dtype and shape.
     * Which keys a query sees (causal, window, padding ranges, packed segments, KV-cache offset)
     * is described by {@link AttentionSpec}; no mask tensor exists.
     *
     * <p>A fused op: the backend's {@link Backend#attention} computes the output and the
     * per-query logsumexp (a tiled kernel on the CPU, the composed {@link AttentionReference}
     * where a backend has none); the backward recomputes the probabilities from them, so only
     * O(T·D) is kept for the gradient.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        if (spec == null) throw new IllegalArgumentException("attention needs an AttentionSpec (AttentionSpec.causal(scale) or .full(scale))");
        int nd = q.dim();
        if ((nd != 3 && nd != 4) || k.dim() != nd || v.dim() != nd) {
            throw new IllegalArgumentException("attention needs q, k, v all [B, H, L, D] or all [B, L, D], got " + q.describe() + ", " + k.describe() + ", " + v.describe());
        }
        if (!q.dtype().isFloating() || !k.dtype().isFloating() || !v.dtype().isFloating()) {
            throw new IllegalArgumentException("attention needs floating q, k, v, got " + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
        }
        if (!q.device().equals(k.device()) || !q.device().equals(v.device())) {
            throw new IllegalArgumentException("attention operands on different devices: " + q.device() + ", " + k.device() + ", " + v.device());
        }
        Tensor q4 = nd == 3 ? q.detach().unsqueeze(1) : q.detach();
        Tensor k4 = nd == 3 ? k.detach().unsqueeze(1) : k.detach();
        Tensor v4 = nd == 3 ? v.detach().unsqueeze(1) : v.detach();
        int b = q4.size(0), hq = q4.size(1), lq = q4.size(2), d = q4.size(3);
        int hkv = k4.size(1), lk = k4.size(2), dv = v4.size(3);
        if (k4.size(0) != b || v4.size(0) != b) throw new IllegalArgumentException("attention: batch sizes differ: q " + b + ", k " + k4.size(0) + ", v " + v4.size(0));
        if (v4.size(1) != hkv || v4.size(2) != lk) throw new IllegalArgumentException("attention: k " + k.describe() + " and v " + v.describe() + " differ in heads or length");
        if (k4.size(3) != d) throw new IllegalArgumentException("attention: q has head dim " + d + ", k has " + k4.size(3));
        if (hkv == 0 || hq % hkv != 0) throw new IllegalArgumentException("attention: " + hq + " query heads are not a multiple of " + hkv + " KV heads");
        spec.check(b, lq, lk);
        Tensor qk = innerContiguous(q4), kk = innerContiguous(k4), vk = innerContiguous(v4);
        Tensor out = Tensor.empty(DType.F32, q.device(), b, hq, lq, dv);
        Tensor lse = Tensor.empty(DType.F32, q.device(), b, hq, lq);
        try (var _ = GradMode.noGrad()) {
            q.backend().attention(qk, kk, vk, spec, out, lse);
        }
        Tensor res = q.dtype() == DType.F32 ? out : noGrad(() -> out.to(q.dtype()));
        if (nd == 3) res = res.detach().squeeze(1);
        return Autograd.record(res, "attention", g -> {
            Tensor gOut = g.to(DType.F32).contiguous().reshape(b, hq, lq, dv);
            Tensor gq = Tensor.empty(DType.F32, g.device(), b, hq, lq, d);
            Tensor gk = Tensor.empty(DType.F32, g.device(), b, hkv, lk, d);
            Tensor gv = Tensor.empty(DType.F32, g.device(), b, hkv, lk, dv);
            q.backend().attentionBackward(qk, kk, vk, spec, out, lse, gOut, gq, gk, gv);
            return new Tensor[] {gq.reshape(q.shape()), gk.reshape(k.shape()), gv.reshape(v.shape())};
        }, q, k, v);
    }

    /** The view itself when its last dim has stride 1 (what attention kernels index by), else a contiguous copy. */
    private static Tensor innerContiguous(Tensor t) {
        return t.size(-1) <= 1 || t.stride(-1) == 1 ? t : noGrad(t::contiguous);
    }

    // ---- regularisation and losses -------------------------------------------------------

    /** Inverted dropout: zeroes with probability p and scales survivors by 1/(1−p); identity when !training. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (!training || p == 0) return x;
        Tensor keep = noGrad(() -> Tensor.rand(gen, DType.F32, x.device(), x.shape()).ge(p).to(x.dtype()));
        return x.mul(keep).mul(1 / (1 - p));
    }

    /**
     * Mean cross-entropy of logits [N, V] against integer targets [N], skipping targets equal to
     * ignoreIndex, plus the z-loss λ·mean(logsumexp(logits)²) over the same counted rows
     * (zLoss = 0 disables it). Returns a 0-d F32 tensor (whatever the logits' dtype: a bf16 mean
     * over thousands of rows would keep 2-3 digits); 0, not NaN, when every target is ignored.
     *
     * <p>Fused: the backend's crossEntropy kernel writes each row's loss and logsumexp in one pass
     * over the logits, and the backward writes only the gradient (in the logits' dtype when F32 or
     * BF16). Nothing synchronises with the host: the count of counted rows and the mean are tensor
     * ops. A target id outside [0, V) that is not ignoreIndex throws IllegalArgumentException
     * naming the id and the row on the CPU; on CUDA (no sync) that row's loss is NaN, so the mean
     * is NaN.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double zLoss) {
        if (logits.dim() != 2) throw new IllegalArgumentException("crossEntropy needs logits [N, V], got " + logits.describe());
        checkTargets("crossEntropy", targets, logits.size(0), logits);
        checkZLoss("crossEntropy", zLoss);
        int n = logits.size(0), vocab = logits.size(1);
        Device dev = logits.device();
        // the kernels read contiguous F32 or BF16 rows; F16 (or a strided view) is copied once
        Tensor x = noGrad(() -> (logits.dtype() == DType.BF16 ? logits : logits.to(DType.F32)).contiguous());
        Tensor t = noGrad(targets::contiguous);
        Tensor rowLoss = Tensor.empty(DType.F32, dev, n), lse = Tensor.empty(DType.F32, dev, n);
        x.backend().crossEntropy(x, t, ignoreIndex, zLoss, rowLoss, lse);
        Tensor counted = noGrad(() -> countedRows(t, ignoreIndex));
        Tensor loss = noGrad(() -> rowLoss.sum().div(counted));
        return Autograd.record(loss, "cross_entropy", g -> {
            Tensor gRow = g.to(DType.F32).div(counted).reshape(1);
            Tensor grad = Tensor.empty(x.dtype(), dev, n, vocab);
            x.backend().crossEntropyBackward(x, t, ignoreIndex, zLoss, lse, gRow, grad);
            return new Tensor[] {grad};
        }, logits);
    }

    /**
     * The LM head and {@link #crossEntropy} in one op: the mean over counted rows of
     * (lse − logit[target]) + λ·lse², for logits = softcap(hidden [N, H] · weightᵀ) with weight
     * [V, H] in the PyTorch Linear layout (F32, or BF16/F16 read in place) and Gemma 2's final
     * logit softcap c·tanh(x / c) (softcap 0 = none). Returns a 0-d F32 tensor, with no host sync.
     *
     * <p>The [N, V] logits never exist whole, forward or backward: the backend works in row chunks
     * (by default {@link Backend#linearCrossEntropy}'s chunked GEMM + crossEntropy kernels, chunk
     * size {@code liquid4j.xent.chunkBytes}, default 512 MiB of F32 logits), and the backward
     * recomputes each chunk's logits to form its gradient. Gradients come in the inputs' dtypes (a
     * BF16 weight gets a BF16 gradient, accumulated in F32 first). A leaf weight's gradient is
     * accumulated straight into {@code weight.grad()} (in place when that is F32) rather than
     * handed to the autograd engine, which would copy it: at V = 264,192 and H = 2048 that saves
     * 2.2 GB at the peak. Out-of-range targets behave as in crossEntropy.
     */
    public static Tensor linearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, int ignoreIndex, double zLoss, double softcap) {
        if (hidden.dim() != 2 || !hidden.dtype().isFloating()) {
            throw new IllegalArgumentException("linearCrossEntropy needs floating hidden [N, H], got " + hidden.describe());
        }
        if (weight.dim() != 2 || !weight.dtype().isFloating() || weight.size(1) != hidden.size(1)) {
            throw new IllegalArgumentException("linearCrossEntropy needs a floating weight [V, " + hidden.size(1) + "] (Linear layout [out, in]), got "
                    + weight.describe());
        }
        Tensor.checkSameDevice("linearCrossEntropy", hidden, weight);
        checkTargets("linearCrossEntropy", targets, hidden.size(0), hidden);
        checkZLoss("linearCrossEntropy", zLoss);
        if (!(softcap >= 0) || Double.isInfinite(softcap)) {
            throw new IllegalArgumentException("linearCrossEntropy softcap must be finite and >= 0 (0 = none), got " + softcap);
        }
        int n = hidden.size(0);
        Device dev = hidden.device();
        // both 16-bit on a backend with native 16-bit GEMMs (BF16 training on CUDA): the GEMMs stay
        // 16-bit (exact operands forward, dlogits rounded backward); otherwise exact F32 activations
        boolean low = hidden.dtype() == weight.dtype() && hidden.dtype() != DType.F32 && hidden.backend().hasLowPrecisionGemm();
        Tensor h = noGrad(() -> low ? hidden.contiguous() : hidden.to(DType.F32).contiguous());
        Tensor w = noGrad(weight::contiguous);
        Tensor t = noGrad(targets::contiguous);
        Tensor rowLoss = Tensor.empty(DType.F32, dev, n), lse = Tensor.empty(DType.F32, dev, n);
        h.backend().linearCrossEntropy(h, w, t, ignoreIndex, zLoss, softcap, rowLoss, lse);
        Tensor counted = noGrad(() -> countedRows(t, ignoreIndex));
        Tensor loss = noGrad(() -> rowLoss.sum().div(counted));
        return Autograd.record(loss, "linear_cross_entropy", g -> {
            Tensor gRow = g.to(DType.F32).div(counted).reshape(1);
            Tensor gh = hidden.requiresGrad() ? Tensor.empty(DType.F32, dev, h.shape()) : null;
            boolean leafWeight = weight.requiresGrad() && weight.isLeaf();
            Tensor gw = !weight.requiresGrad() ? null
                    : leafWeight && isF32(weight.grad()) ? weight.grad() : Tensor.zeros(DType.F32, dev, w.shape());
            h.backend().linearCrossEntropyBackward(h, w, t, ignoreIndex, zLoss, softcap, lse, gRow, gh, gw);
            Tensor ghOut = gh == null ? null : gh.to(hidden.dtype());
            if (!leafWeight) return new Tensor[] {ghOut, gw == null ? null : gw.to(weight.dtype())};
            // a leaf weight (the usual LM head) gets its gradient here, not through the engine,
            // whose accumulateGrad would copy it: one weight-sized F32 buffer less at the peak
            if (gw != weight.grad()) {
                Tensor cast = gw.to(weight.dtype());
                if (weight.grad() == null) weight.setGrad(cast);
                else weight.grad().addInPlace(cast);
            }
            return new Tensor[] {ghOut, null};
        }, hidden, weight);
    }

    /** An existing gradient the backward kernels can accumulate into directly. */
    private static boolean isF32(Tensor grad) {
        return grad != null && grad.dtype() == DType.F32 && grad.isContiguous();
    }

    private static void checkTargets(String op, Tensor targets, int rows, Tensor input) {
        if (targets.dim() != 1 || targets.size(0) != rows) {
            throw new IllegalArgumentException(op + " targets must be [" + rows + "], got " + targets.describe());
        }
        if (targets.dtype().isFloating()) throw new IllegalArgumentException(op + " targets must be integer ids, got " + targets.dtype());
        Tensor.checkSameDevice(op, input, targets);
    }

    private static void checkZLoss(String op, double zLoss) {
        if (!Double.isFinite(zLoss) || zLoss < 0) throw new IllegalArgumentException(op + " zLoss must be finite and >= 0, got " + zLoss);
    }

    /** max(1, number of targets ≠ ignoreIndex) as a 0-d F32 tensor on the targets' device (no host sync). */
    private static Tensor countedRows(Tensor targets, int ignoreIndex) {
        return targets.ne(ignoreIndex).to(DType.F32).sum().maximum(Tensor.scalar(1, DType.F32, targets.device()));
    }

    // ---- optimizer ---------------------------------------------------------------------

    /** The scalars of one AdamW step: learning rate, betas, eps, decoupled weight decay and the bias corrections 1 − βᵗ. */
    public record AdamWStep(double lr, double beta1, double beta2, double eps, double weightDecay, double biasCorrection1, double biasCorrection2) {}

    /**
     * torch.optim.AdamW's update of one parameter, in place and without autograd:
     * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
     * p ← p − (lr / bc1) · m / (√v / √bc2 + eps). With a master (F32, for a BF16/F16 param) the
     * update runs on the master and param receives it rounded. One pass over the five arrays on
     * the CPU instead of a dozen elementwise ops.
     */
    public static void adamwUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, AdamWStep step) {
        checkAdamW(param, grad, expAvg, expAvgSq, master);
        param.backend().adamwUpdate(param, grad, expAvg, expAvgSq, master, step);
    }

    /**
     * Σ x² of each tensor — what {@code x.to(F32)} squared, summed by {@link Tensor#sum()} and read
     * with {@code item()} gives (each square rounded to F32, the total rounded to F32) — for all
     * of them in one backend call, without autograd. A model's gradient norm as separate ops took
     * three small ones a parameter (~120 a training step of the demo's LM, a few ms of it:
     * BENCHMARKS.md "Where the FMA peak is"). All tensors floating; one backend call per device
     * they are on, the results in the tensors' order.
     */
    public static double[] sumsOfSquares(List<Tensor> ts) {
        Map<Device, List<Integer>> byDevice = new LinkedHashMap<>();
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            if (!t.dtype().isFloating()) throw new IllegalArgumentException("sumsOfSquares needs floating tensors, got " + t.describe());
            byDevice.computeIfAbsent(t.device(), d -> new ArrayList<>()).add(i);
        }
        double[] out = new double[ts.size()];
        for (List<Integer> at : byDevice.values()) {
            double[] s = ts.get(at.get(0)).backend().sumsOfSquares(at.stream().map(ts::get).toList());
            for (int j = 0; j < s.length; j++) out[at.get(j)] = s[j];
        }
        return out;
    }

    /** One parameter's part of {@link #adamwUpdateAll}: as the arguments of {@link #adamwUpdate} (master null for an F32 parameter). */
    public record AdamWSlot(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master) {}

    /**
     * {@link #adamwUpdate} of many parameters with the same scalars, all on one device: the
     * optimizer step of a whole model as one pass over every parameter's arrays (on a GPU one
     * kernel launch instead of one per tensor). Each slot is checked like adamwUpdate's arguments.
     */
    public static void adamwUpdateAll(List<AdamWSlot> slots, AdamWStep step) {
        if (slots.isEmpty()) return;
        Device device = slots.get(0).param().device();
        for (AdamWSlot s : slots) {
            checkAdamW(s.param(), s.grad(), s.expAvg(), s.expAvgSq(), s.master());
            if (!s.param().device().equals(device)) {
                throw new IllegalArgumentException("adamwUpdateAll: parameters on " + device + " and " + s.param().device() + " (one call per device)");
            }
        }
        slots.get(0).param().backend().adamwUpdateAll(slots, step);
    }

    private static void checkAdamW(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master) {
        long n = param.numel();
        for (Tensor t : new Tensor[] {grad, expAvg, expAvgSq, master}) {
            if (t == null) continue;
            if (t.numel() != n || !t.isContiguous()) throw new IllegalArgumentException("adamwUpdate: " + t.describe() + " must be contiguous with " + n + " elements like " + param.describe());
            if (!t.device().equals(param.device())) throw new IllegalArgumentException("adamwUpdate: " + t.describe() + " is not on " + param.device());
        }
        if (!param.isContiguous()) throw new IllegalArgumentException("adamwUpdate needs a contiguous parameter, got " + param.describe());
        if (expAvg.dtype() != DType.F32 || expAvgSq.dtype() != DType.F32 || (master != null && master.dtype() != DType.F32)) {
            throw new IllegalArgumentException("adamwUpdate keeps its moments and master weights in F32");
        }
        if (master == null && param.dtype() != DType.F32) throw new IllegalArgumentException("adamwUpdate of a " + param.dtype() + " parameter needs an F32 master copy");
        if (!grad.dtype().isFloating()) throw new IllegalArgumentException("adamwUpdate needs a floating gradient, got " + grad.describe());
    }

    private static Tensor noGrad(java.util.function.Supplier<Tensor> f) {
        try (var _ = GradMode.noGrad()) {
            return f.get();
        }
    }
}
