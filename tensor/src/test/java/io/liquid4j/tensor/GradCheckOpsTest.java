package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A finite-difference gradient check for every differentiable op, through non-contiguous views,
 * broadcasting and mixed dtypes; plus exact analytic checks where finite differences cannot see
 * (16-bit paths, ties, detach, accumulation).
 */
class GradCheckOpsTest {
    static final GradCheck GC = GradCheck.defaults();

    static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        try (var _ = TensorScope.open()) {
            GC.check(f, inputs);
        }
    }

    static Tensor in(long seed, double lo, double hi, int... shape) {
        return Tensor.fromArray(uniform(seed, (int) Tensor.numel(shape), lo, hi), shape);
    }

    static Tensor away(long seed, double lo, double hi, double minAbs, int... shape) {
        return Tensor.fromArray(awayFromZero(seed, (int) Tensor.numel(shape), lo, hi, minAbs), shape);
    }

    /** Distinct values (spacing ≥ 0.05) in random order: no ties or near-ties for max/min. */
    static Tensor distinct(long seed, int... shape) {
        int n = (int) Tensor.numel(shape);
        java.util.List<Float> v = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) v.add((float) ((i - n / 2) * 0.05 + 0.013));
        java.util.Collections.shuffle(v, new java.util.Random(seed));
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = v.get(i);
        return Tensor.fromArray(a, shape);
    }

    // ---- unary ----------------------------------------------------------------------------------

    @Test
    void smoothUnaryOps() {
        List<Function<Tensor, Tensor>> ops = List.of(
                Tensor::neg, Tensor::exp, Tensor::tanh, Tensor::sigmoid, Tensor::silu, Tensor::gelu, Tensor::geluTanh,
                t -> t.pow(2), t -> t.pow(3), Tensor::square, t -> t.add(0.7), t -> t.sub(1.5), t -> t.mul(-2.5),
                t -> t.div(3), t -> t.rsub(1));
        int k = 0;
        for (Function<Tensor, Tensor> op : ops) {
            int id = k++;
            check(x -> op.apply(x[0]), in(id, -2, 2, 3, 5));
            // through a transposed view and a stepped slice of the leaf
            check(x -> op.apply(x[0].t()), in(id + 100, -2, 2, 3, 5));
            check(x -> op.apply(x[0].slice(1, 0, 7, 3)), in(id + 200, -2, 2, 4, 7));
        }
    }

    @Test
    void unaryOpsWithRestrictedDomains() {
        check(x -> x[0].log(), in(1, 0.5, 3, 4, 5));
        check(x -> x[0].sqrt(), in(2, 0.5, 3, 4, 5));
        check(x -> x[0].rsqrt(), in(3, 0.5, 3, 4, 5));
        check(x -> x[0].pow(0.5), in(4, 0.5, 3, 4, 5));
        check(x -> x[0].pow(-1.5), in(5, 0.5, 3, 4, 5));
        check(x -> x[0].t().log(), in(6, 0.5, 3, 4, 5));
        // kinks at 0 kept away from the finite-difference step
        check(x -> x[0].abs(), away(7, -2, 2, 0.05, 4, 5));
        check(x -> x[0].relu(), away(8, -2, 2, 0.05, 4, 5));
        Tensor c = away(9, -2, 2, 0.05, 4, 5);
        // keep values ≥ 0.03 away from the clamp bounds ±0.5
        float[] cv = c.toFloatArray();
        for (int i = 0; i < cv.length; i++) if (Math.abs(Math.abs(cv[i]) - 0.5) < 0.03) cv[i] += 0.1f;
        check(x -> x[0].clamp(-0.5, 0.5), Tensor.fromArray(cv, 4, 5));
    }

    // ---- binary ---------------------------------------------------------------------------------

    @Test
    void binaryOpsWithBroadcasting() {
        check(x -> x[0].add(x[1]), in(1, -1, 1, 4, 1, 3), in(2, -1, 1, 5, 3));
        check(x -> x[0].sub(x[1]), in(3, -1, 1, 4, 1, 3), in(4, -1, 1, 5, 3));
        check(x -> x[0].mul(x[1]), in(5, -1, 1, 4, 1, 3), in(6, -1, 1, 5, 3));
        check(x -> x[0].div(x[1]), in(7, -1, 1, 4, 1, 3), away(8, -2, 2, 0.5, 5, 3));
        check(x -> x[0].pow(x[1]), in(9, 0.5, 2, 4, 1, 3), in(10, -1.5, 1.5, 5, 3));
        check(x -> x[0].mul(x[1]), in(11, -1, 1, 3, 4), in(12, -1, 1));             // 0-d operand that requires grad
        check(x -> x[0].sub(x[1]), in(13, -1, 1), in(14, -1, 1, 2, 3));
        // max/min without ties: a[i,k] and b[j,k] differ by at least 0.25
        float[] a = new float[12], b = new float[15];
        for (int i = 0; i < 4; i++) for (int k = 0; k < 3; k++) a[i * 3 + k] = (float) (i * 0.5 + k * 0.1);
        for (int j = 0; j < 5; j++) for (int k = 0; k < 3; k++) b[j * 3 + k] = (float) (j * 0.5 + 0.25 + k * 0.1 - 1);
        check(x -> x[0].maximum(x[1]), Tensor.fromArray(a, 4, 1, 3), Tensor.fromArray(b, 5, 3));
        check(x -> x[0].minimum(x[1]), Tensor.fromArray(a.clone(), 4, 1, 3), Tensor.fromArray(b.clone(), 5, 3));
    }

    @Test
    void binaryOpsOnNonContiguousAndExpandedViews() {
        check(x -> x[0].t().mul(x[1]), in(1, -1, 1, 5, 4), in(2, -1, 1, 4, 5));
        check(x -> x[0].slice(0, 1, 6, 2).add(x[1].t()), in(3, -1, 1, 6, 3), in(4, -1, 1, 3, 3));
        check(x -> x[0].expand(4, 3).mul(x[1]), in(5, -1, 1, 1, 3), in(6, -1, 1, 4, 3));
        check(x -> x[0].unsqueeze(1).expand(3, 4, 2).div(x[1].add(3)), in(7, -1, 1, 3, 2), in(8, -1, 1, 4, 2));
        // select, transpose and squeeze are views with backward functions of their own
        check(x -> x[0].select(1, -1).mul(x[0].transpose(0, 2).select(1, 0)), in(11, -1, 1, 3, 2, 3));
        check(x -> x[0].narrow(1, 2, 1).squeeze(1).add(x[0].permute(1, 0).select(0, 0)), in(12, -1, 1, 4, 3));
        // a constant BF16 operand: the F32 leaf's gradient flows through the mixed-dtype op
        Tensor bf = in(9, -1, 1, 3, 4).to(DType.BF16);
        check(x -> x[0].mul(bf).add(bf), in(10, -1, 1, 3, 4));
    }

    @Test
    void whereAndMaskedFill() {
        Tensor cond = Tensor.fromArray(new byte[] {1, 0, 0, 1, 1, 0}, 2, 3);
        check(x -> Tensor.where(cond, x[0], x[1]), in(1, -1, 1, 2, 3), in(2, -1, 1, 3));        // b broadcast
        check(x -> Tensor.where(cond.select(0, 0), x[0].t(), Tensor.scalar(2)), in(3, -1, 1, 3, 4));
        Tensor mask = Tensor.fromArray(new byte[] {0, 1, 0, 0}, 4);
        check(x -> x[0].maskedFill(mask, -3).mul(x[0]), in(4, -1, 1, 3, 4));
    }

    // ---- reductions -----------------------------------------------------------------------------

    @Test
    void reductions() {
        check(x -> x[0].sum(1, false), in(1, -1, 1, 3, 4, 5));
        check(x -> x[0].sum(new int[] {0, 2}, true), in(2, -1, 1, 3, 4, 5));
        check(x -> x[0].sum(), in(3, -1, 1, 3, 4));
        check(x -> x[0].t().sum(0, false), in(4, -1, 1, 3, 4));
        check(x -> x[0].mean(new int[] {-1, 0}, false), in(5, -1, 1, 3, 4, 5));
        check(x -> x[0].mean(), in(6, -1, 1, 7));
        check(x -> x[0].var(1, false, 1), in(7, -1, 1, 3, 6));
        check(x -> x[0].var(new int[] {0, 1}, true, 0), in(8, -1, 1, 3, 6));
        check(x -> x[0].max(1, false), distinct(9, 4, 5));
        check(x -> x[0].min(0, true), distinct(10, 4, 5));
        check(x -> x[0].max(), distinct(11, 3, 4));
        check(x -> x[0].min(), distinct(12, 3, 4));
        check(x -> x[0].t().max(1, true), distinct(13, 4, 5));
        check(x -> x[0].logsumexp(1, false), in(14, -3, 3, 4, 6));
        check(x -> x[0].logsumexp(0, true), in(15, -3, 3, 4, 6));
        check(x -> x[0].slice(1, 0, 6, 2).logsumexp(-1, false), in(16, -3, 3, 4, 6));
    }

    // ---- views ----------------------------------------------------------------------------------

    @Test
    void viewsAndCopies() {
        check(x -> x[0].reshape(4, 6).mul(x[0].reshape(4, 6)), in(1, -1, 1, 2, 3, 4));
        check(x -> x[0].t().reshape(12).mul(Tensor.arange(0, 12, DType.F32, Device.CPU)), in(2, -1, 1, 3, 4));   // reshape that copies
        check(x -> x[0].view(3, 8).exp(), in(3, -1, 1, 2, 3, 4));
        check(x -> x[0].flatten(1, 2).tanh(), in(4, -1, 1, 2, 3, 4));
        check(x -> x[0].permute(2, 0, 1).mul(Tensor.arange(0, 24, DType.F32, Device.CPU).reshape(4, 2, 3)), in(5, -1, 1, 2, 3, 4));
        check(x -> x[0].transpose(0, 2).exp(), in(6, -1, 1, 2, 3, 4));
        check(x -> x[0].narrow(1, 1, 2).exp(), in(7, -1, 1, 2, 3, 4));
        check(x -> x[0].slice(2, 1, 4, 2).exp(), in(8, -1, 1, 2, 3, 4));
        check(x -> x[0].select(1, -1).exp(), in(9, -1, 1, 2, 3, 4));
        check(x -> x[0].unsqueeze(1).squeeze(1).mul(x[0]), in(10, -1, 1, 3, 4));
        check(x -> x[0].expand(3, 2, 4).exp(), in(11, -1, 1, 2, 1));
        check(x -> x[0].t().contiguous().exp(), in(12, -1, 1, 3, 4));
        check(x -> x[0].clone().mul(x[0]), in(13, -1, 1, 3, 4));
        check(x -> x[0].t().slice(0, 0, 4, 3).select(1, 1), in(14, -1, 1, 3, 4));
    }

    @Test
    void catStackSplitChunk() {
        check(x -> Tensor.cat(0, x[0], x[1].t(), x[2]), in(1, -1, 1, 2, 3), in(2, -1, 1, 3, 4), in(3, -1, 1, 1, 3));
        check(x -> Tensor.cat(1, x[0].exp(), x[1]), in(4, -1, 1, 2, 3), in(5, -1, 1, 2, 5));
        check(x -> Tensor.stack(1, x[0], x[1].mul(x[0])), in(6, -1, 1, 2, 3), in(7, -1, 1, 2, 3));
        check(x -> {
            List<Tensor> p = x[0].split(2, 1);
            return p.get(0).mul(p.get(1)).sum(1, false).add(p.get(2).squeeze(1));
        }, in(8, -1, 1, 3, 5));
        check(x -> {
            List<Tensor> p = x[0].chunk(3, 0);
            return p.get(0).mul(p.get(2)).sub(p.get(1).exp());
        }, in(9, -1, 1, 6, 2));
        check(x -> {
            List<Tensor> p = x[0].split(new int[] {1, 3}, -1);
            return p.get(1).mul(p.get(0));
        }, in(10, -1, 1, 3, 4));
    }

    // ---- linear algebra and indexing -------------------------------------------------------------

    @Test
    void matmulVariants() {
        check(x -> x[0].matmul(x[1]), in(1, -1, 1, 4, 5), in(2, -1, 1, 5, 3));
        check(x -> x[0].matmul(x[1]), in(3, -1, 1, 2, 4, 5), in(4, -1, 1, 2, 5, 3));
        check(x -> x[0].matmul(x[1]), in(5, -1, 1, 2, 1, 4, 5), in(6, -1, 1, 3, 5, 2));     // broadcast batch
        check(x -> x[0].matmul(x[1]), in(7, -1, 1, 5), in(8, -1, 1, 5, 3));                  // vector @ matrix
        check(x -> x[0].matmul(x[1]), in(9, -1, 1, 4, 5), in(10, -1, 1, 5));                 // matrix @ vector
        check(x -> x[0].matmul(x[1]), in(11, -1, 1, 5), in(12, -1, 1, 5));                   // dot
        check(x -> x[0].t().matmul(x[1].t()), in(13, -1, 1, 5, 4), in(14, -1, 1, 3, 5));     // transposed views
        check(x -> x[0].slice(1, 0, 10, 2).matmul(x[1]), in(15, -1, 1, 4, 10), in(16, -1, 1, 5, 3));
        check(x -> x[0].matmul(x[1].transpose(-1, -2)), in(17, -1, 1, 2, 3, 4), in(18, -1, 1, 2, 5, 4));
        // a shared 2-D weight under batch dims (a Linear's): its gradient is one product over all rows
        check(x -> x[0].matmul(x[1]), in(19, -1, 1, 2, 3, 4, 5), in(20, -1, 1, 5, 3));
        check(x -> x[0].transpose(-1, -2).matmul(x[1].t()), in(21, -1, 1, 3, 5, 4), in(22, -1, 1, 2, 5));
        // BF16 / F16 constant right operands
        Tensor wb = in(19, -1, 1, 5, 3).to(DType.BF16), wh = in(20, -1, 1, 3, 5).to(DType.F16);
        check(x -> x[0].matmul(wb), in(21, -1, 1, 4, 5));
        check(x -> x[0].matmul(wh.t()), in(22, -1, 1, 2, 4, 5));
    }

    @Test
    void gatherScatterIndexSelectEmbedding() {
        Tensor gi = Tensor.fromArray(new long[] {0, 2, 2, 1, 1, 1, 0, 0}, 4, 2);
        check(x -> x[0].gather(1, gi), in(1, -1, 1, 4, 3));
        check(x -> x[0].t().gather(0, Tensor.fromArray(new int[] {3, 0, 3, 1, 1, 2}, 2, 3)), in(2, -1, 1, 3, 4));
        Tensor si = Tensor.fromArray(new long[] {1, 1, 0, 2, 2, 2}, 2, 3);
        check(x -> x[0].scatterAdd(0, si, x[1]), in(3, -1, 1, 3, 3), in(4, -1, 1, 2, 3));
        check(x -> x[0].scatterAdd(1, Tensor.fromArray(new long[] {0, 0, 2, 1}, 2, 2), x[1]), in(5, -1, 1, 2, 3), in(6, -1, 1, 2, 4));  // src larger than index
        Tensor ii = Tensor.fromArray(new long[] {2, 0, 2, 3, 2}, 5);
        check(x -> x[0].indexSelect(0, ii), in(7, -1, 1, 4, 3));
        check(x -> x[0].indexSelect(1, ii).mul(x[0].indexSelect(1, ii)), in(8, -1, 1, 2, 4));
        check(x -> F.embedding(Tensor.fromArray(new int[] {1, 4, 1, 0, 4, 4}, 2, 3), x[0]), in(9, -1, 1, 5, 3));
    }

    // ---- nn functions -----------------------------------------------------------------------------

    @Test
    void linearSoftmaxNorms() {
        check(x -> F.linear(x[0], x[1], x[2]), in(1, -1, 1, 2, 3, 5), in(2, -1, 1, 4, 5), in(3, -1, 1, 4));
        check(x -> F.linear(x[0], x[1], null), in(4, -1, 1, 3, 5), in(5, -1, 1, 4, 5));
        // the stacked products: each output scaled differently, so every block's gradient matters
        check(x -> {
            Tensor[] y = F.linears(x[0], x[1], x[2], x[3]);
            return y[0].sum().add(y[1].mul(2).sum()).add(y[2].mul(y[2]).sum());
        }, in(45, -1, 1, 2, 3, 5), in(46, -1, 1, 4, 5), in(47, -1, 1, 2, 5), in(48, -1, 1, 3, 5));
        check(x -> F.gatedActivation(x[0], x[1], UnaryOp.SILU), in(41, -3, 3, 3, 11), in(42, -1, 1, 3, 11));
        check(x -> F.gatedActivation(x[0], x[1], UnaryOp.GELU_TANH), in(43, -3, 3, 3, 11), in(44, -1, 1, 3, 11));
        check(x -> F.softmax(x[0], -1), in(6, -2, 2, 3, 7));
        check(x -> F.softmax(x[0], 0), in(7, -2, 2, 3, 7));
        check(x -> F.softmax(x[0].t(), 1), in(8, -2, 2, 3, 7));
        check(x -> F.logSoftmax(x[0], -1), in(9, -2, 2, 3, 7));
        check(x -> F.logSoftmax(x[0], 1), in(10, -2, 2, 2, 3, 4));
        check(x -> F.rmsNorm(x[0], x[1], 1e-5), in(11, -2, 2, 3, 6), in(12, 0.5, 1.5, 6));
        check(x -> F.rmsNorm(x[0].t(), null, 1e-5), in(13, -2, 2, 6, 3));
        check(x -> F.layerNorm(x[0], x[1], x[2], 1e-5), in(14, -2, 2, 3, 6), in(15, 0.5, 1.5, 6), in(16, -1, 1, 6));
        check(x -> F.layerNorm(x[0].slice(1, 0, 12, 2), null, null, 1e-5), in(17, -2, 2, 3, 12));
        check(x -> F.groupNorm(x[0], 2, x[1], x[2], 1e-5), in(18, -2, 2, 2, 4, 2, 3), in(19, 0.5, 1.5, 4), in(20, -1, 1, 4));
        check(x -> F.groupNorm(x[0], 4, null, null, 1e-5), in(21, -2, 2, 1, 4, 3, 2));
        check(x -> F.groupNormSilu(x[0], 2, x[1], x[2], 1e-5), in(22, -2, 2, 2, 4, 3, 2), in(23, 0.5, 1.5, 4), in(24, -1, 1, 4));
    }

    @Test
    void convolutionResamplingPadding() {
        // stride 2, padding 1 (odd input so the last window is partial)
        check(x -> F.conv2d(x[0], x[1], x[2], 2, 1), in(1, -1, 1, 2, 2, 5, 5), in(2, -1, 1, 3, 2, 3, 3), in(3, -1, 1, 3));
        // asymmetric strides and paddings, non-square kernel
        check(x -> F.conv2d(x[0], x[1], null, 1, 2, 0, 1), in(4, -1, 1, 1, 2, 4, 5), in(5, -1, 1, 2, 2, 2, 3));
        // non-contiguous input
        check(x -> F.conv2d(x[0].permute(0, 1, 3, 2), x[1], null, 1, 1), in(6, -1, 1, 1, 2, 4, 3), in(7, -1, 1, 2, 2, 3, 3));
        // padding wider than the output: some kernel columns see no input pixel at all
        check(x -> F.conv2d(x[0], x[1], null, 1, 1, 1, 3), in(10, -1, 1, 1, 2, 3, 1), in(11, -1, 1, 2, 2, 3, 7));
        check(x -> F.upsampleNearest(x[0], 2), in(8, -1, 1, 1, 2, 2, 3));
        check(x -> F.upsampleNearest(x[0].exp(), 3), in(9, -1, 1, 1, 1, 2, 2));
        check(x -> F.pad(x[0], new int[] {1, 2, 0, 1}, 0.5).mul(x[1]), in(10, -1, 1, 2, 3, 4), in(11, -1, 1, 2, 4, 7));
        check(x -> F.pad(x[0].t(), new int[] {2, 1}, -1), in(12, -1, 1, 3, 4));
    }

    @Test
    void attentionDropoutCrossEntropy() {
        check(x -> F.attention(x[0], x[1], x[2], AttentionSpec.causal(0.5)), in(1, -1, 1, 1, 2, 4, 3), in(2, -1, 1, 1, 2, 5, 3), in(3, -1, 1, 1, 2, 5, 3));
        check(x -> F.attention(x[0], x[1], x[2], AttentionSpec.full(0.7)), in(4, -1, 1, 2, 3, 2), in(5, -1, 1, 2, 4, 2), in(6, -1, 1, 2, 4, 2));
        // [B, L, H, D] projections transposed to [B, H, L, D]
        check(x -> F.attention(x[0].transpose(1, 2), x[1].transpose(1, 2), x[2].transpose(1, 2), AttentionSpec.causal(0.5)),
                in(7, -1, 1, 1, 3, 2, 2), in(8, -1, 1, 1, 3, 2, 2), in(9, -1, 1, 1, 3, 2, 2));
        check(x -> F.dropout(x[0], 0.4, true, new Generator(5)), in(10, -1, 1, 4, 6));
        Tensor targets = Tensor.fromArray(new long[] {3, -100, 0, 6, -100, 2}, 6);
        check(x -> F.crossEntropy(x[0], targets, -100, 0), in(11, -3, 3, 6, 7));
        check(x -> F.crossEntropy(x[0], targets, -100, 0.1), in(12, -3, 3, 6, 7));
        check(x -> F.crossEntropy(x[0].t(), Tensor.fromArray(new int[] {1, 0, 4}, 3), 4, 0.05), in(13, -3, 3, 5, 3));
    }

    // ---- the checker itself and analytic checks ----------------------------------------------------

    @Test
    void gradCheckAcceptsNonContiguousLeaves() {
        // a leaf that is itself a transposed / stepped view of its storage
        check(x -> x[0].mul(x[0]).sum(1, false), in(1, -1, 1, 4, 3).t());
        check(x -> x[0].exp().mul(x[1]), in(2, -1, 1, 12).slice(0, 0, 12, 3), in(3, -1, 1, 2, 4).t().select(1, 0));
    }

    @Test
    void gradCheckDetectsAWrongGradient() {
        // a deliberately wrong backward: the checker must fail
        assertThrows(AssertionError.class, () -> GC.check(x -> x[0].mul(x[0].detach()), in(1, 1, 2, 3)));
        assertThrows(AssertionError.class, () -> GC.check(x -> x[0].add(x[0].detach().exp()), in(2, 1, 2, 3)));
        // no graph at all is a usage error, not a gradient mismatch
        assertThrows(IllegalStateException.class, () -> GC.check(x -> x[0].detach().mul(2), in(3, 1, 2, 3)));
    }

    @Test
    void sixteenBitLeavesGetGradientsInTheirDtype() {
        Tensor x = in(1, -2, 2, 3, 4).to(DType.BF16).requiresGrad(true);
        float[] xv = x.toFloatArray();
        x.to(DType.F32).mul(x.to(DType.F32)).sum().backward();
        assertEquals(DType.BF16, x.grad().dtype());
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < xv.length; i++) assertEquals(DType.bf16ToFloat(DType.floatToBf16(2 * xv[i])), g[i]);
        // BF16 all the way: a BF16 op chain
        Tensor h = in(2, -2, 2, 5).to(DType.F16).requiresGrad(true);
        h.mul(3).sum().backward();
        assertEquals(DType.F16, h.grad().dtype());
        assertArrayEquals(new float[] {3, 3, 3, 3, 3}, h.grad().toFloatArray());
        // F32 leaf through a BF16 round trip: the gradient passes unchanged
        Tensor f = in(3, -2, 2, 4).requiresGrad(true);
        f.to(DType.BF16).mul(2).to(DType.F32).sum().backward();
        assertArrayEquals(new float[] {2, 2, 2, 2}, f.grad().toFloatArray());
        // F32 leaf times a BF16 weight that requires grad
        Tensor w = in(4, -1, 1, 3, 2).to(DType.BF16).requiresGrad(true);
        Tensor a = in(5, -1, 1, 4, 3).requiresGrad(true);
        a.matmul(w).sum().backward();
        assertEquals(DType.BF16, w.grad().dtype());
        float[] av = a.toFloatArray(), wg = w.grad().toFloatArray();
        for (int i = 0; i < 3; i++) {
            double s = 0;
            for (int r = 0; r < 4; r++) s += av[r * 3 + i];
            for (int j = 0; j < 2; j++) assertEquals(DType.bf16ToFloat(DType.floatToBf16((float) s)), wg[i * 2 + j], 1e-6);
        }
    }

    @Test
    void identityViewsKeepTheGraph() {
        // ops that return their input unchanged must not rewire the graph (no self-loop node)
        check(x -> x[0].expand(3, 4).exp(), in(1, -1, 1, 3, 4));
        check(x -> x[0].exp().expand(-1, -1), in(2, -1, 1, 3, 4));
        check(x -> F.upsampleNearest(x[0].exp(), 1), in(3, -1, 1, 1, 2, 2, 3));
        check(x -> x[0].mul(2).sum(new int[0], true), in(4, -1, 1, 3, 2));
        Tensor leaf = in(5, -1, 1, 2, 2).requiresGrad(true);
        leaf.expand(2, 2).sum().backward();
        assertTrue(leaf.isLeaf(), "expand to the same shape must not turn a leaf into a graph node");
        assertArrayEquals(new float[] {1, 1, 1, 1}, leaf.grad().toFloatArray());
    }

    @Test
    void bf16InputsGetTheF32GradientRounded() {
        // the same function on a BF16 leaf and on an F32 leaf holding the same values: gradients agree to bf16 precision
        Tensor targets = Tensor.fromArray(new long[] {1, -100, 4}, 3);
        List<Function<Tensor, Tensor>> fs = List.of(
                x -> F.softmax(x, -1), x -> F.logSoftmax(x, 0), x -> F.rmsNorm(x, null, 1e-5), x -> F.layerNorm(x, null, null, 1e-5),
                x -> x.matmul(x.t()), x -> x.logsumexp(1, false), x -> x.gelu().mul(x.sigmoid()),
                x -> F.crossEntropy(x, targets, -100, 0.01),
                x -> F.conv2d(x.reshape(1, 1, 3, 6), x.narrow(1, 0, 4).reshape(2, 1, 2, 3), null, 1, 1),
                x -> F.attention(x.reshape(1, 3, 6), x.reshape(1, 3, 6), x.reshape(1, 3, 6), AttentionSpec.causal(0.4)));
        int k = 0;
        for (Function<Tensor, Tensor> f : fs) {
            try (var _ = TensorScope.open()) {
                Tensor x16 = in(100 + k, -2, 2, 3, 6).to(DType.BF16).requiresGrad(true);
                Tensor x32 = x16.to(DType.F32).detach().requiresGrad(true);
                Tensor out16 = f.apply(x16), out32 = f.apply(x32);
                Tensor r = Tensor.randn(new Generator(k), out32.shape());
                out16.to(DType.F32).mul(r).sum().backward();
                out32.mul(r).sum().backward();
                assertEquals(DType.BF16, x16.grad().dtype(), "function " + k);
                float[] g16 = x16.grad().toFloatArray(), g32 = x32.grad().toFloatArray();
                double scale = 0;
                for (float g : g32) scale = Math.max(scale, Math.abs(g));
                for (int i = 0; i < g32.length; i++) {
                    assertEquals(g32[i], g16[i], 0.03 * scale + 0.02 * Math.abs(g32[i]), "function " + k + " element " + i);
                }
                x16.zeroGrad();
                x32.zeroGrad();
            }
            k++;
        }
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        Tensor x = Tensor.fromArray(new float[] {0.5f, -1}, 2).requiresGrad(true);
        try (var _ = TensorScope.open()) {
            Tensor y = x;
            for (int i = 0; i < 20_000; i++) y = y.mul(1.0001).add(0.0001);
            y.sum().backward();
        }
        double e = Math.pow(1.0001, 20_000);
        assertEquals(e, x.grad().toFloatArray()[0], e * 1e-3);
    }

    @Test
    void tiesSplitTheGradientAndMaxPicksOneElement() {
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor b = Tensor.fromArray(new float[] {1, 5, 0}, 3).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertArrayEquals(new float[] {0.5f, 0, 1}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {0.5f, 1, 0}, b.grad().toFloatArray());
        Tensor m = Tensor.fromArray(new float[] {4, 7, 7, 1}, 4).requiresGrad(true);
        m.max().backward();
        assertArrayEquals(new float[] {0, 1, 0, 0}, m.grad().toFloatArray(), "max grad goes to the first maximum");
    }

    @Test
    void accumulationDetachAndErrors() {
        Tensor x = Tensor.fromArray(new float[] {1, 2}, 2).requiresGrad(true);
        x.mul(3).sum().backward();
        x.mul(x).sum().backward();
        assertArrayEquals(new float[] {5, 7}, x.grad().toFloatArray(), "grads accumulate across backward calls");
        x.zeroGrad();
        assertNull(x.grad());
        // a detached branch contributes nothing
        x.mul(2).add(x.detach().mul(100)).sum().backward();
        assertArrayEquals(new float[] {2, 2}, x.grad().toFloatArray());
        x.zeroGrad();
        // explicit output gradient
        x.mul(x).backward(Tensor.fromArray(new float[] {10, -1}, 2));
        assertArrayEquals(new float[] {20, -4}, x.grad().toFloatArray());
        x.zeroGrad();
        // no graph under noGrad
        try (var _ = GradMode.noGrad()) {
            assertTrue(!x.mul(2).requiresGrad());
        }
        // a leaf used through many paths (diamond)
        Tensor y = x.exp();
        y.mul(y).add(y).sum().backward();
        float[] xv = {1, 2};
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < 2; i++) assertEquals(2 * Math.exp(2 * xv[i]) + Math.exp(xv[i]), g[i], 1e-4 * Math.exp(2 * xv[i]));
        assertThrows(IllegalStateException.class, () -> x.mul(2).backward());
        assertThrows(IllegalStateException.class, () -> Tensor.ones(1).sum().backward());
        assertThrows(IllegalArgumentException.class, () -> x.mul(2).backward(Tensor.ones(3)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.I64, 2).requiresGrad(true));
        assertThrows(IllegalArgumentException.class, () -> GC.check(t -> t[0], Tensor.zeros(DType.BF16, 2)));
        assertThrows(AssertionError.class, () -> GC.check(t -> t[0].mul(2), in(1, -1, 1, 2), in(2, -1, 1, 2)));
    }
}
