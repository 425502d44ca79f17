package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Backend;
import io.liquid4j.tensor.BinaryOp;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.ReduceOp;
import io.liquid4j.tensor.Storage;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** The reference backend: host memory, Vector API kernels, one fixed worker pool. */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {}

    @Override public Device device() { return Device.CPU; }

    @Override public String describe() {
        return "cpu: " + CpuThreads.threads() + " threads, vector species " + FloatVector.SPECIES_PREFERRED
                + " (" + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit, " + FloatVector.SPECIES_PREFERRED.length() + " f32 lanes)";
    }

    @Override public Storage allocate(DType dtype, long numel) {
        return CpuStorage.allocate(numel * dtype.byteSize());
    }

    @Override public void copy(Tensor src, Tensor dst) { CpuElementwise.copy(src, dst); }

    @Override public void fill(Tensor dst, double value) { CpuElementwise.fill(dst, value); }

    @Override public void arange(Tensor dst, double start, double step) {
        MemorySegment s = CpuElementwise.seg(dst);
        long n = dst.numel(), o = dst.offset();
        boolean ints = !dst.dtype().isFloating();
        for (long i = 0; i < n; i++) {
            if (ints) Access.putLong(s, dst.dtype(), o + i, Math.round(start + i * step));
            else Access.put(s, dst.dtype(), o + i, start + i * step);
        }
    }

    @Override public void random(Tensor dst, boolean normal, long seed, long counter, double a, double b) {
        MemorySegment s = CpuElementwise.seg(dst);
        DType t = dst.dtype();
        long o = dst.offset();
        long n = dst.numel();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("random fill of more than 2^31 elements");
        // uniform draws just below b would round up to b in the storage type: clamp to the largest value below it
        double top = !normal && t.isFloating() ? t.largestBelow(b) : Double.POSITIVE_INFINITY;
        CpuThreads.parallelFor((int) n, 16384, (st, e) -> {
            for (int i = st; i < e; i++) {
                long bits = Generator.bits(seed, counter + i);
                double v = normal ? a + b * Generator.normal(bits) : Math.min(top, a + (b - a) * Generator.uniform(bits));
                Access.put(s, t, o + i, v);
            }
        });
    }

    @Override public void writeFromHost(MemorySegment host, Tensor dst) {
        MemorySegment.copy(host, 0, CpuElementwise.seg(dst), dst.offset() * dst.dtype().byteSize(), dst.numel() * dst.dtype().byteSize());
    }

    @Override public void readToHost(Tensor src, MemorySegment host) {
        MemorySegment.copy(CpuElementwise.seg(src), src.offset() * src.dtype().byteSize(), host, 0, src.numel() * src.dtype().byteSize());
    }

    @Override public void unary(UnaryOp op, Tensor x, Tensor out, double p, double q) { CpuElementwise.unary(op, x, out, p, q); }

    @Override public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor g, Tensor gi, double p, double q) {
        CpuElementwise.unaryBackward(op, x, y, g, gi, p, q);
    }

    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) { CpuElementwise.binary(op, a, b, out); }

    @Override public void where(Tensor cond, Tensor a, Tensor b, Tensor out) { CpuElementwise.where(cond, a, b, out); }

    @Override public void reduce(ReduceOp op, Tensor x, int dim, Tensor out) { CpuReduce.reduce(op, x, dim, out, this); }

    @Override public void matmul(Tensor a, Tensor w, Tensor out, boolean accumulate) { CpuMatmul.matmul(a, w, out, accumulate); }

    /**
     * Up to 64 rows of x: {@link QuantGemv} reads the codes in place. More rows: W is dequantized
     * once to F32 for this call (in parallel, vectorised) and multiplied by the GEMM (prefill is
     * compute-bound; the temporary is one layer's weight; F32 because a code times an F16 scale
     * needs more bits than BF16 holds, and both paths must agree).
     */
    @Override public void matmulQuantized(Tensor x, io.liquid4j.tensor.QuantizedWeight w, Tensor out) {
        if (x.size(0) <= QuantGemv.MAX_M && QuantGemv.usable()) {
            QuantGemv.multiply(x, w, out);
            return;
        }
        try (var _ = io.liquid4j.tensor.GradMode.noGrad(); var _ = io.liquid4j.tensor.TensorScope.open()) {
            Tensor wf = Tensor.empty(io.liquid4j.tensor.DType.F32, w.rows(), w.cols());
            if (QuantGemv.usable()) QuantGemv.dequantize(w, wf);
            else wf.copyFrom(w.dequantize());
            CpuMatmul.matmul(x.unsqueeze(0), wf.t().unsqueeze(0), out.unsqueeze(0), false);
        }
    }

    /** Decode-sized products as one parallel job over all the weights (GemmGemv), else one matmul each. */
    @Override public void linears(Tensor x, Tensor[] weights, Tensor[] outs) {
        if (weights.length == 0) return;
        if (!CpuMatmul.linears(x, weights, outs)) Backend.super.linears(x, weights, outs);
    }

    /** Up to QuantGemv.MAX_M rows and one format: one parallel job over all the weights, else one product each. */
    @Override public void linearsQuantized(Tensor x, io.liquid4j.tensor.QuantizedWeight[] weights, Tensor[] outs) {
        if (weights.length == 0) return;
        if (x.size(0) > QuantGemv.MAX_M || !QuantGemv.usable() || !QuantGemv.multiplyAll(x, weights, outs)) {
            Backend.super.linearsQuantized(x, weights, outs);
        }
    }

    @Override public void softmax(Tensor x, Tensor out, boolean log) { CpuRowOps.softmax(x, out, log); }

    @Override public void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) { CpuRowOps.softmaxBackward(y, gy, gx, log); }

    @Override public void rmsNorm(Tensor x, Tensor w, double eps, Tensor out, Tensor rstd) { CpuRowOps.rmsNorm(x, w, eps, out, rstd); }

    @Override public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor gy, Tensor gx, Tensor gw) {
        CpuRowOps.rmsNormBackward(x, w, rstd, gy, gx, gw);
    }

    @Override public void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out, Tensor mean, Tensor rstd) {
        CpuRowOps.layerNorm(x, w, b, eps, out, mean, rstd);
    }

    @Override public void layerNormBackward(Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        CpuRowOps.layerNormBackward(x, w, mean, rstd, gy, gx, gw, gb);
    }

    @Override public void indexSelect(Tensor x, int dim, Tensor idx, Tensor out) { CpuIndexing.indexSelect(x, dim, idx, out, this); }

    @Override public void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) { CpuIndexing.indexAdd(dst, dim, idx, src); }

    @Override public void gather(Tensor x, int dim, Tensor idx, Tensor out) { CpuIndexing.gather(x, dim, idx, out); }

    @Override public void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) { CpuIndexing.scatterAdd(dst, dim, idx, src); }

    @Override public void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        CpuConv.im2col(x, kh, kw, sh, sw, ph, pw, cols);
    }

    // ---- fused ops -------------------------------------------------------------------------

    /**
     * Contiguous F32 tensors each in one pass ({@link RowMath#sumOfRoundedSquares}: the composed product +
     * sum's bits), the tensors spread over the threads; others through the composed default.
     */
    @Override public double[] sumsOfSquares(java.util.List<Tensor> ts) {
        double[] out = new double[ts.size()];
        java.util.List<Integer> composed = new java.util.ArrayList<>();
        for (int i = 0; i < ts.size(); i++) if (!oneF32Row(ts.get(i))) composed.add(i);
        CpuThreads.parallelFor(ts.size(), 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                Tensor t = ts.get(i);
                if (oneF32Row(t)) out[i] = (float) RowMath.sumOfRoundedSquares(CpuElementwise.seg(t), t.offset() * 4, (int) t.numel());
            }
        });
        if (!composed.isEmpty()) {
            double[] r = Backend.super.sumsOfSquares(composed.stream().map(ts::get).toList());
            for (int j = 0; j < r.length; j++) out[composed.get(j)] = r[j];
        }
        return out;
    }

    private static boolean oneF32Row(Tensor t) {
        return t.dtype() == DType.F32 && t.isContiguous() && t.numel() <= Integer.MAX_VALUE;
    }

    @Override public void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse) {
        CpuAttention.forward(q, k, v, spec, out, lse);
    }

    @Override public void attentionBackward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse,
                                            Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        CpuAttention.backward(q, k, v, spec, out, lse, gOut, gq, gk, gv);
    }

    /** F32 rows with unit last stride in one pass ({@link CpuRope}); other dtypes and layouts through the reference. */
    @Override public void gatedActivation(UnaryOp act, Tensor gate, Tensor up, Tensor out) {
        if (CpuGated.handles(act, gate, up, out)) CpuGated.forward(gate, up, out);
        else Backend.super.gatedActivation(act, gate, up, out);
    }

    @Override public void gatedActivationBackward(UnaryOp act, Tensor gate, Tensor up, Tensor g, Tensor gGate, Tensor gUp) {
        if (CpuGated.handles(act, gate, up, g, gGate, gUp)) CpuGated.backward(gate, up, g, gGate, gUp);
        else Backend.super.gatedActivationBackward(act, gate, up, g, gGate, gUp);
    }

    @Override public void rope(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        if (CpuRope.supports(x, cos, sin, out)) CpuRope.apply(x, cos, sin, inverse, out);
        else Backend.super.rope(x, cos, sin, inverse, out);
    }

    @Override public void groupNormForward(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out) {
        CpuGroupNorm.forward(x, groups, w, b, eps, silu, out);
    }

    @Override public void groupNormTrain(Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out, Tensor mean, Tensor rstd) {
        CpuGroupNorm.forward(x, groups, w, b, eps, silu, out, mean, rstd);
    }

    @Override public void groupNormBackward(Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor mean, Tensor rstd, Tensor gy,
                                            Tensor gx, Tensor gw, Tensor gb) {
        CpuGroupNorm.backward(x, groups, w, b, silu, mean, rstd, gy, gx, gw, gb);
    }

    /** Fused for 3×3, padding 1, scale 2 (the VQGAN's Upsample); other shapes upsample first (the reference). */
    @Override public void upsampleConv2dForward(Tensor x, int scale, Tensor w, Tensor b, int ph, int pw, Tensor out) {
        if (!CpuConvForward.upsampled(x, scale, w, b, ph, pw, out)) Backend.super.upsampleConv2dForward(x, scale, w, b, ph, pw, out);
    }

    @Override public void conv2dForward(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, Tensor out) {
        CpuConvForward.forward(x, w, b, sh, sw, ph, pw, out);
    }

    @Override public void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        CpuConv.col2im(cols, kh, kw, sh, sw, ph, pw, x);
    }

    // ---- fused ops: cross-entropy (linearCrossEntropy inherits the chunked default) ----

    @Override public void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor loss, Tensor lse) {
        CpuCrossEntropy.forward(logits, targets, ignoreIndex, zLoss, loss, lse);
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor lse, Tensor gLoss, Tensor grad) {
        CpuCrossEntropy.backward(logits, targets, ignoreIndex, zLoss, lse, gLoss, grad);
    }

    @Override public void adamwUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, io.liquid4j.tensor.F.AdamWStep step) {
        if (CpuAdamW.handles(param, grad)) CpuAdamW.update(param, grad, expAvg, expAvgSq, master, step);
        else Backend.super.adamwUpdate(param, grad, expAvg, expAvgSq, master, step);
    }
}
