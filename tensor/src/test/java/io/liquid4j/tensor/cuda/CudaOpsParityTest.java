package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Op-level parity of the public API ({@link Tensor} and {@link F}) on cuda:0 against the CPU
 * reference, forward AND backward. Each case builds the same leaves on both devices (floating
 * inputs require grad), runs the same op — views, broadcasting and odd shapes included — and
 * back-propagates the same scalar objective Σ out·r (r fixed random weights) on both. Outputs
 * and every leaf gradient are compared.
 *
 * <p>Tolerances, as ‖gpu − cpu‖₂ / ‖cpu‖₂ plus an elementwise bound of 10·tol·(|cpu| + rms(cpu)):
 * F32 paths 1e-4; paths that store BF16 (outputs, gradients of BF16 leaves) 1e-2 — one BF16 ulp
 * is 2⁻⁸ ≈ 3.9e-3 and the two devices may round an f32 intermediate differently (summation
 * order of GEMMs and atomics); integer and boolean results, masks, dropout and uniform random
 * numbers must match exactly (dropout: its mask exactly, values 1e-6); normal random numbers 1e-6 (libm's log/cos in double may differ
 * in the last bit between the JDK and CUDA).
 */
@Tag("gpu")
class CudaOpsParityTest {
    static final Device GPU = Device.cuda(0);
    static final double F32 = 1e-4, BF = 1e-2;
    TensorScope scope;

    @BeforeEach
    void setUp() {
        assumeTrue(Backends.isAvailable(GPU), "no CUDA device: " + Backends.cudaUnavailableReason());
        scope = TensorScope.open();
    }

    @AfterEach
    void tearDown() { if (scope != null) scope.close(); }

    // ---- harness -------------------------------------------------------------------------

    /** An op over the leaves; returns a Tensor, a Tensor[] or a List of tensors. */
    interface Op { Object apply(Tensor[] x); }

    /** Host-side random F32 input (java.util.Random: independent of the library's generator). */
    static Tensor rnd(long seed, int... shape) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.fromArray(v, shape);
    }

    /** Random values of magnitude in [lo, hi] with random sign (or positive only). */
    static Tensor away(long seed, double lo, double hi, boolean positive, int... shape) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            double m = lo + (hi - lo) * r.nextDouble();
            v[i] = (float) (positive || r.nextBoolean() ? m : -m);
        }
        return Tensor.fromArray(v, shape);
    }

    static Tensor ids(long[] v, int... shape) { return Tensor.fromArray(v, shape); }

    private static List<Tensor> outputs(Object o) {
        if (o instanceof Tensor t) return List.of(t);
        if (o instanceof Tensor[] a) return Arrays.asList(a);
        if (o instanceof List<?> l) {
            List<Tensor> r = new ArrayList<>();
            for (Object x : l) r.add((Tensor) x);
            return r;
        }
        throw new IllegalArgumentException("op returned " + o);
    }

    private record Run(Tensor[] in, List<Tensor> out) {}

    private static Run run(Device dev, Op op, Tensor[] src, boolean grad) {
        Tensor[] in = new Tensor[src.length];
        for (int i = 0; i < src.length; i++) {
            in[i] = dev.equals(Device.CPU) ? src[i].clone() : src[i].to(dev);
            if (grad && in[i].dtype().isFloating()) in[i].requiresGrad(true);
        }
        List<Tensor> out;
        if (grad) {
            out = outputs(op.apply(in));
        } else {
            try (var _ = GradMode.noGrad()) {
                out = outputs(op.apply(in));
            }
        }
        return new Run(in, out);
    }

    static double worst;

    /** Runs op on both devices, compares outputs, back-propagates Σ out·r and compares every leaf gradient. */
    void parity(String name, double tol, Op op, Tensor... inputs) { parity(name, tol, tol, true, op, inputs); }

    void parityNoGrad(String name, double tol, Op op, Tensor... inputs) { parity(name, tol, tol, false, op, inputs); }

    void parity(String name, double tol, double gradTol, boolean grad, Op op, Tensor... inputs) {
        Run c = run(Device.CPU, op, inputs, grad), g = run(GPU, op, inputs, grad);
        assertEquals(c.out.size(), g.out.size(), name + ": output count");
        double outRel = 0, gradRel = 0;
        Tensor objC = null, objG = null;
        for (int k = 0; k < c.out.size(); k++) {
            Tensor oc = c.out.get(k), og = g.out.get(k);
            assertEquals(GPU, og.device(), name + " out" + k + " device");
            outRel = Math.max(outRel, compare(name + " out" + k, oc, og, tol));
            if (grad && oc.requiresGrad()) {
                assertTrue(og.requiresGrad(), name + " out" + k + ": GPU result lost requiresGrad");
                Tensor r = rnd(9000 + k, oc.shape());
                Tensor tc = oc.to(DType.F32).mul(r).sum(), tg = og.to(DType.F32).mul(r.to(GPU)).sum();
                objC = objC == null ? tc : objC.add(tc);
                objG = objG == null ? tg : objG.add(tg);
            }
        }
        if (objC != null) {
            objC.backward();
            objG.backward();
            for (int i = 0; i < inputs.length; i++) {
                Tensor gc = c.in[i].grad(), gg = g.in[i].grad();
                if (gc == null) {
                    assertNull(gg, name + ": GPU has a gradient for input " + i + " where the CPU has none");
                    continue;
                }
                assertNotNull(gg, name + ": no GPU gradient for input " + i);
                gradRel = Math.max(gradRel, compare(name + " grad" + i, gc, gg, gradTol));
            }
        }
        worst = Math.max(worst, Math.max(outRel, gradRel));
        System.out.printf("PARITY %-44s out %.1e  grad %s%n", name, outRel, objC == null ? "-" : String.format("%.1e", gradRel));
    }

    /** ‖g − c‖/‖c‖ after checking dtype, shape, non-finite positions and an elementwise bound; integers exactly. */
    static double compare(String what, Tensor c, Tensor g, double tol) {
        assertEquals(c.dtype(), g.dtype(), what + ": dtype");
        assertArrayEquals(c.shape(), g.shape(), what + ": shape");
        if (!c.dtype().isFloating()) {
            assertArrayEquals(c.toLongArray(), g.toLongArray(), what + ": integer values differ");
            return 0;
        }
        float[] a = c.toFloatArray(), b = g.toFloatArray();
        double num = 0, den = 0;
        int finite = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) {
                if (!(Float.isNaN(a[i]) && Float.isNaN(b[i])) && a[i] != b[i]) {
                    fail(what + ": element " + i + " cpu " + a[i] + " gpu " + b[i]);
                }
                continue;
            }
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) a[i] * a[i];
            finite++;
        }
        double rms = Math.sqrt(den / Math.max(1, finite));
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) continue;
            double d = Math.abs((double) a[i] - b[i]);
            if (d > 10 * tol * (Math.abs(a[i]) + rms)) fail(what + ": element " + i + " cpu " + a[i] + " gpu " + b[i] + " (tol " + tol + ")");
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol);
        return rel;
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Test
    void unaryOpsOnTransposedViews() {
        Tensor x = rnd(1, 17, 33), pos = away(2, 0.2, 3, true, 17, 33);
        List<Object[]> ops = List.of(
                new Object[] {"neg", (Op) v -> v[0].t().neg()}, new Object[] {"exp", (Op) v -> v[0].t().exp()},
                new Object[] {"abs", (Op) v -> v[0].t().abs()}, new Object[] {"tanh", (Op) v -> v[0].t().tanh()},
                new Object[] {"sigmoid", (Op) v -> v[0].t().sigmoid()}, new Object[] {"silu", (Op) v -> v[0].t().silu()},
                new Object[] {"gelu", (Op) v -> v[0].t().gelu()}, new Object[] {"geluTanh", (Op) v -> v[0].t().geluTanh()},
                new Object[] {"relu", (Op) v -> v[0].t().relu()}, new Object[] {"square", (Op) v -> v[0].t().square()},
                new Object[] {"clamp", (Op) v -> v[0].t().clamp(-0.5, 0.7)}, new Object[] {"affine", (Op) v -> v[0].t().mul(1.5).add(0.25).sub(1).div(3).rsub(2)});
        for (Object[] o : ops) parity("unary " + o[0], F32, (Op) o[1], x);
        parity("log", F32, v -> v[0].t().log(), pos);
        parity("sqrt", F32, v -> v[0].t().sqrt(), pos);
        parity("rsqrt", F32, v -> v[0].t().rsqrt(), pos);
        parity("pow 1.7", F32, v -> v[0].t().pow(1.7), pos);
        parity("pow -2", F32, v -> v[0].slice(1, 1, 33, 3).pow(-2), pos);
        parity("bf16 exp/silu", BF, v -> v[0].to(DType.BF16).exp().add(v[0].to(DType.BF16).silu()), x);
        parity("f16 tanh", BF, v -> v[0].to(DType.F16).tanh(), x);
    }

    @Test
    void binaryOpsWithBroadcasting() {
        Tensor a = rnd(3, 5, 2, 7), b = rnd(4, 7, 3), bpos = away(5, 0.3, 2, false, 7, 3), apos = away(6, 0.2, 2, true, 5, 2, 7);
        // a[:, ::2] is [5,1,7] with a stride; b.t() is a [3,7] transposed view
        parity("add bcast", F32, v -> v[0].slice(1, 0, 2, 2).add(v[1].t()), a, b);
        parity("sub bcast", F32, v -> v[1].t().sub(v[0].slice(1, 0, 2, 2)), a, b);
        parity("mul bcast", F32, v -> v[0].mul(v[1].t().narrow(0, 1, 1)), a, b);
        parity("div bcast", F32, v -> v[0].div(v[1].t().unsqueeze(1).narrow(0, 0, 1)), a, bpos);
        parity("pow tensor", F32, v -> v[0].pow(v[1].t().narrow(0, 2, 1).mul(0.5)), apos, b);
        parity("maximum/minimum", F32, v -> v[0].slice(1, 1, 2, 1).maximum(v[1].t()).add(v[0].slice(1, 0, 1, 1).minimum(v[1].t())), a, b);
        parity("f32+bf16 promote", F32, BF, true, v -> v[0].add(v[1].to(DType.BF16).t().narrow(0, 0, 1)), a, b);
        parity("0-d scalar tensor", F32, v -> v[0].mul(v[1].sum()), a, b);
        Tensor x = rnd(7, 6, 9), y = rnd(8, 9);
        parity("comparisons", 0, v -> List.of(v[0].eq(v[0]), v[0].ne(v[1]), v[0].lt(v[1]), v[0].le(0.1), v[0].gt(v[1]), v[0].ge(-0.2)), x, y);
        parity("where bcast", F32, v -> Tensor.where(v[0].gt(v[1]), v[0], v[1].mul(2)), x, y);
        parity("maskedFill", F32, v -> v[0].t().maskedFill(v[1].lt(0).unsqueeze(1), -3), x, y);
        Tensor i1 = ids(new long[] {5, -7, 12, 100000, 3}, 5), i2 = ids(new long[] {3, 2, -5, 7, 1}, 5);
        parity("int64 arith", 0, v -> List.of(v[0].add(v[1]), v[0].mul(v[1]), v[0].sub(v[1]), v[0].maximum(v[1]), v[0].div(v[1])), i1, i2);
    }

    // ---- reductions ----------------------------------------------------------------------

    @Test
    void reductions() {
        Tensor x = rnd(10, 6, 37, 5);
        for (int d = 0; d < 3; d++) {
            int dd = d;
            parity("sum/mean dim " + d, F32, v -> List.of(v[0].sum(dd, false), v[0].mean(dd, true)), x);
            parity("var dim " + d, F32, v -> List.of(v[0].var(dd, false, 1), v[0].var(dd, true, 0)), x);
            parity("max/min dim " + d, F32, v -> List.of(v[0].max(dd, false), v[0].min(dd, true)), x);
            parity("argmax/argmin dim " + d, 0, v -> List.of(v[0].argmax(dd, false), v[0].argmin(dd, true)), x);
            parity("logsumexp dim " + d, F32, v -> v[0].logsumexp(dd, false), x);
        }
        parity("sum dims {0,2}, sum(), mean()", F32, v -> List.of(v[0].sum(new int[] {0, 2}, true), v[0].sum(), v[0].mean()), x);
        parity("var dims {0,2}", F32, v -> v[0].var(new int[] {0, 2}, false, 1), x);
        parity("max()/min()", F32, v -> List.of(v[0].max(), v[0].min()), x);
        parity("permuted view reductions", F32, v -> {
            Tensor p = v[0].permute(2, 0, 1);   // [5, 6, 37], no dim contiguous in order
            return List.of(p.sum(2, false), p.logsumexp(1, true), p.max(2, false), p.var(0, false, 1));
        }, x);
        parity("long rows (warp reduce)", F32, v -> List.of(v[0].logsumexp(1, false), v[0].max(1, false), v[0].sum(1, true)), rnd(11, 3, 5001));
        parity("bf16 sum/mean/max", BF, v -> {
            Tensor b = v[0].to(DType.BF16);
            return List.of(b.sum(1, false), b.mean(new int[] {0, 1}, false), b.max(2, false));
        }, x);
        parity("int sum/argmax", 0, v -> List.of(v[0].sum(0, false), v[0].sum(), v[0].argmax(1, false)),
                ids(new long[] {3, -1, 7, 2, 9, 9, -4, 0, 11, 5, 5, 1}, 3, 4));
    }

    // ---- linear algebra ------------------------------------------------------------------

    @Test
    void matmulAndLinear() {
        Tensor a = rnd(20, 13, 29), w = rnd(21, 29, 11), at = rnd(22, 29, 13);
        parity("matmul 2-D", F32, v -> v[0].matmul(v[1]), a, w);
        parity("matmul transposed views", F32, v -> v[0].t().matmul(v[1].t().t()), at, w);
        parity("matmul batched broadcast", F32, v -> v[0].matmul(v[1]), rnd(23, 2, 1, 13, 29), rnd(24, 3, 29, 11));
        parity("matmul vector @ matrix", F32, v -> v[0].matmul(v[1]), rnd(25, 29), w);
        parity("matmul matrix @ vector", F32, v -> v[0].matmul(v[1]), a, rnd(26, 29));
        parity("matmul sliced rows/cols", F32, v -> v[0].slice(0, 1, 13, 2).matmul(v[1].narrow(1, 3, 7)), a, w);
        Tensor x = rnd(27, 2, 5, 29), lw = rnd(28, 11, 29), lb = rnd(29, 11);
        parity("linear f32 + bias", F32, v -> F.linear(v[0], v[1], v[2]), x, lw, lb);
        parity("linear on a transposed input", F32, v -> F.linear(v[0].transpose(0, 1), v[1], null), x, lw);
        // BF16 weight: decoded exactly on both devices (f32 math); its gradient is rounded to BF16
        parity("linear bf16 weight", F32, BF, true, v -> F.linear(v[0], v[1].to(DType.BF16), v[2]), x, lw, lb);
        parity("linear bf16 leaf weight", F32, BF, true, v -> F.linear(v[0], v[1], null), x, lw.to(DType.BF16));
        parity("linear f16 leaf weight", F32, BF, true, v -> F.linear(v[0], v[1], null), x, lw.to(DType.F16));
        parity("matmul bf16 x bf16", BF, v -> v[0].matmul(v[1]), a.to(DType.BF16), w.to(DType.BF16));
        parity("larger matmul 96x200x130", F32, v -> v[0].matmul(v[1]), rnd(30, 96, 200), rnd(31, 200, 130));
    }

    // ---- softmax -------------------------------------------------------------------------

    @Test
    void softmaxFamily() {
        for (int n : new int[] {1, 37, 1000, 5000}) {
            Tensor x = rnd(40 + n, 6, n);
            parity("softmax n=" + n, F32, v -> F.softmax(v[0], -1), x);
            parity("logSoftmax n=" + n, F32, v -> F.logSoftmax(v[0], 1), x);
        }
        parity("softmax dim 0 (transposed)", F32, v -> F.softmax(v[0], 0), rnd(41, 37, 6));
        parity("logSoftmax on a strided view", F32, v -> F.logSoftmax(v[0].slice(1, 0, 40, 3), -1), rnd(42, 5, 40));
        parity("softmax bf16", BF, v -> F.softmax(v[0].to(DType.BF16), -1), rnd(43, 4, 300));
    }

    // ---- indexing ------------------------------------------------------------------------

    @Test
    void indexingOps() {
        Tensor x = rnd(50, 11, 6);
        Tensor gi = ids(new long[] {3, 0, 10, 3, 7, 1, 1, 9, 2, 4, 6, 8}, 2, 6);
        parity("gather dim 0", F32, v -> v[0].gather(0, v[1]), x, gi);
        parity("gather dim 1", F32, v -> v[0].gather(1, v[1]), x, ids(new long[] {5, 0, 0, 2, 4, 1, 3, 3, 5, 0}, 5, 2));
        parity("gather on transposed view", F32, v -> v[0].t().gather(1, v[1]), x, ids(new long[] {10, 0, 3, 3, 7, 1}, 3, 2));
        Tensor sel = ids(new long[] {3, 0, 10, 3, 7}, 5);
        parity("indexSelect dim 0 (embedding path)", F32, v -> v[0].indexSelect(0, v[1]), x, sel);
        parity("indexSelect dim 1 of a view", F32, v -> v[0].t().indexSelect(1, v[1]), x, sel);
        parity("indexSelect I32 index", F32, v -> v[0].indexSelect(0, v[1]), x, Tensor.fromArray(new int[] {1, 1, 4}, 3));
        parity("embedding", F32, v -> F.embedding(v[1], v[0]), x, ids(new long[] {0, 10, 4, 4, 4, 2}, 2, 3));
        parity("embedding bf16 table", F32, BF, true, v -> F.embedding(v[1], v[0]), x.to(DType.BF16), ids(new long[] {0, 10, 4, 4, 4, 2}, 2, 3));
        parity("scatterAdd (dup indices)", F32, v -> v[0].scatterAdd(0, v[2], v[1]), x, rnd(51, 2, 6), gi);
        parity("scatterAdd src larger than index", F32, v -> v[0].scatterAdd(1, v[2], v[1]), x, rnd(52, 11, 4),
                ids(new long[] {5, 0, 2, 2, 1, 3, 4, 0, 1, 5}, 5, 2));
    }

    // ---- joining, splitting, views -------------------------------------------------------

    @Test
    void joinSplitAndViews() {
        Tensor a = rnd(60, 3, 7), b = rnd(61, 3, 5), c = rnd(62, 7, 3);
        parity("cat dim 1 of views", F32, v -> Tensor.cat(1, v[0], v[1], v[2].t()), a, b, c);
        parity("cat dim 0 mixed dtypes", F32, BF, true, v -> Tensor.cat(0, v[0], v[1].t().to(DType.BF16)), a, c);
        parity("stack", F32, v -> Tensor.stack(1, v[0], v[1].t(), v[0].mul(2)), a, c);
        parity("split/chunk", F32, v -> {
            List<Tensor> r = new ArrayList<>(v[0].split(3, 1));
            r.addAll(v[0].split(new int[] {1, 4, 2}, 1));
            r.addAll(v[1].chunk(3, 0));
            return r;
        }, a, rnd(63, 6, 5));
        parity("view ops", F32, v -> {
            Tensor x = v[0];
            return List.of(x.permute(2, 0, 1).reshape(5, -1), x.transpose(0, 1).flatten(), x.select(1, 2), x.narrow(2, 1, 3).contiguous(),
                    x.slice(1, 0, 4, 3).unsqueeze(0).squeeze(0), x.narrow(0, 1, 1).expand(4, 4, 5), x.clone().flatten(0, 1),
                    x.transpose(1, 2).reshape(3, 20));
        }, rnd(64, 3, 4, 5));
    }

    // ---- normalisation -------------------------------------------------------------------

    @Test
    void norms() {
        for (int n : new int[] {37, 64, 4096}) {
            Tensor x = rnd(70 + n, 3, 5, n), w = rnd(71, n), b = rnd(72, n);
            parity("rmsNorm n=" + n, F32, v -> F.rmsNorm(v[0], v[1], 1e-6), x, w);
            parity("rmsNorm no weight n=" + n, F32, v -> F.rmsNorm(v[0], null, 1e-5), x);
            parity("rmsNorm bf16 weight n=" + n, F32, BF, true, v -> F.rmsNorm(v[0], v[1], 1e-6), x, w.to(DType.BF16));
            parity("layerNorm n=" + n, F32, v -> F.layerNorm(v[0], v[1], v[2], 1e-5), x, w, b);
            parity("layerNorm no affine n=" + n, F32, v -> F.layerNorm(v[0], null, null, 1e-5), x);
        }
        parity("rmsNorm of a transposed view", F32, v -> F.rmsNorm(v[0].transpose(0, 1), v[1], 1e-6), rnd(73, 9, 4, 24), rnd(74, 24));
        parity("rmsNorm bf16 input", BF, v -> F.rmsNorm(v[0].to(DType.BF16), v[1], 1e-6), rnd(75, 6, 48), rnd(76, 48));
        parity("groupNorm", F32, v -> F.groupNorm(v[0], 3, v[1], v[2], 1e-5), rnd(77, 2, 6, 5, 3), rnd(78, 6), rnd(79, 6));
        parity("groupNorm no affine, 1 group", F32, v -> F.groupNorm(v[0], 1, null, null, 1e-6), rnd(80, 3, 4, 7));
    }

    // ---- convolution, resampling, padding ------------------------------------------------

    @Test
    void convUpsamplePad() {
        Tensor x = rnd(90, 2, 3, 9, 7), w = rnd(91, 4, 3, 3, 2), b = rnd(92, 4);
        parity("conv2d stride 2 pad 1", F32, v -> F.conv2d(v[0], v[1], v[2], 2, 1), x, w, b);
        parity("conv2d sh2 sw1 ph0 pw1, no bias", F32, v -> F.conv2d(v[0], v[1], null, 2, 1, 0, 1), x, w);
        parity("conv2d 1x1", F32, v -> F.conv2d(v[0], v[1], v[2], 1, 0), x, rnd(93, 5, 3, 1, 1), rnd(94, 5));
        parity("conv2d on a permuted view", F32, v -> F.conv2d(v[0].permute(0, 3, 1, 2), v[1], null, 1, 1), rnd(95, 1, 6, 5, 3), rnd(96, 2, 3, 3, 3));
        // inference (no grad), C ≥ 16, stride 1: the shifted-window GEMM path (unaligned operand pointers)
        parityNoGrad("conv2d inference shifted path", F32, v -> F.conv2d(v[0], v[1], v[2], 1, 1), rnd(97, 2, 16, 6, 5), rnd(98, 8, 16, 3, 3), rnd(99, 8));
        parity("upsampleNearest x2", F32, v -> F.upsampleNearest(v[0], 2), x);
        parity("upsampleNearest x3 of a view", F32, v -> F.upsampleNearest(v[0].transpose(2, 3), 3), x);
        parity("pad last dim", F32, v -> F.pad(v[0], new int[] {1, 2}, 0), x);
        parity("pad two dims, value", F32, v -> F.pad(v[0].transpose(1, 2), new int[] {1, 0, 2, 3}, -1.5), x);
    }

    // ---- masks and attention -------------------------------------------------------------

    @Test
    void masksAndAttention() {
        Tensor q = rnd(100, 2, 7, 3, 16), k = rnd(101, 2, 3, 9, 16), v = rnd(102, 2, 3, 9, 16);
        AttentionSpec causal = AttentionSpec.causal(0.25);
        parity("attention causal (q view)", F32, x -> F.attention(x[0].transpose(1, 2), x[1], x[2], causal), q, k, v);
        parity("attention sliding window", F32, x -> F.attention(x[0].transpose(1, 2), x[1], x[2], causal.withWindow(4)), q, k, v);
        parity("attention padding ranges, softcap", F32, x -> F.attention(x[0].transpose(1, 2), x[1], x[2],
                causal.withSoftcap(2).withKeyRanges(new int[] {2, 0}, new int[] {9, 9})), q, k, v);
        parity("attention packed segments", F32, x -> F.attention(x[0].transpose(1, 2), x[1], x[2],
                causal.withSegments(new int[][] {{0, 0, 0, 0, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0, 2, 2}})), q, k, v);
        parity("attention full, shared kv heads", F32, x -> F.attention(x[0].transpose(1, 2), x[1].narrow(1, 0, 1), x[2].narrow(1, 2, 1), AttentionSpec.full(0.3)), q, k, v);
    }

    /**
     * The flash kernels (attention.cu): BF16/F16 at head dims 64/128/256 take the tensor-core
     * forward and backward, one-query decoding the split kernel (key splits + combine); every spec
     * feature, GQA, ragged tiles (70 queries = a full and a partial tile of 64), queries at an
     * offset into the keys. BF16 gradients get 3e-2: P, dO and dS pass through BF16 in the kernel.
     */
    @Test
    void flashAttentionKernels() {
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            double tol = dt == DType.BF16 ? BF : 5e-3, gtol = dt == DType.BF16 ? 3e-2 : 1e-2;
            for (int d : new int[] {64, 128, 256}) {
                double sc = 1 / Math.sqrt(d);
                Tensor q = rnd(200 + d, 2, 70, 4, d), k = rnd(300 + d, 2, 2, 133, d), v = rnd(400 + d, 2, 2, 133, d);
                String at = dt + " D" + d + " ";
                int[][] segs = new int[2][133];
                for (int j = 0; j < 133; j++) { segs[0][j] = j < 90 ? 0 : 1; segs[1][j] = j / 40; }
                AttentionSpec[] specs = {
                    AttentionSpec.causal(sc),
                    AttentionSpec.full(sc),
                    AttentionSpec.causal(sc).withWindow(37).withSoftcap(1.5),
                    AttentionSpec.causal(sc).withKeyRanges(new int[] {0, 21}, new int[] {133, 133}),
                    AttentionSpec.causal(sc).withSegments(segs),
                };
                String[] names = {"causal, lq < lk", "full, GQA", "window + softcap", "left padding", "packed segments"};
                for (int i = 0; i < specs.length; i++) {
                    AttentionSpec spec = specs[i];
                    parity("flash " + at + names[i], tol, gtol, true,
                            x -> F.attention(x[0].to(dt).transpose(1, 2), x[1].to(dt), x[2].to(dt), spec), q, k, v);
                }
                Tensor q1 = rnd(500 + d, 2, 4, 1, d);
                AttentionSpec decode = AttentionSpec.causal(sc).withQueryOffset(131).withKeyRanges(new int[] {5, 0}, new int[] {133, 133});
                parity("flash " + at + "decode (split)", tol, gtol, false, x -> F.attention(x[0].to(dt), x[1].to(dt), x[2].to(dt), decode), q1, k, v);
                // the vectorised decode kernel (l4j_attn_decode_*): window + softcap, segments, two query rows (CFG)
                AttentionSpec decodeCapped = AttentionSpec.causal(sc).withQueryOffset(132).withWindow(50).withSoftcap(1.5);
                parity("flash " + at + "decode window + softcap", tol, gtol, false, x -> F.attention(x[0].to(dt), x[1].to(dt), x[2].to(dt), decodeCapped), q1, k, v);
                AttentionSpec decodeSeg = AttentionSpec.causal(sc).withQueryOffset(132).withSegments(segs);
                parity("flash " + at + "decode segments", tol, gtol, false, x -> F.attention(x[0].to(dt), x[1].to(dt), x[2].to(dt), decodeSeg), q1, k, v);
                Tensor q2 = rnd(600 + d, 2, 4, 2, d);
                AttentionSpec decode2 = AttentionSpec.causal(sc).withQueryOffset(131);
                parity("flash " + at + "decode 2 rows", tol, gtol, false, x -> F.attention(x[0].to(dt), x[1].to(dt), x[2].to(dt), decode2), q2, k, v);
                // GQA groups of 4, 6 and 1 query heads per KV head in the decode kernel
                for (int hq : new int[] {8, 12, 2}) {
                    Tensor qg = rnd(700 + d + hq, 2, hq, 1, d);
                    parity("flash " + at + "decode Hq " + hq + " / Hkv 2", tol, gtol, false,
                            x -> F.attention(x[0].to(dt), x[1].to(dt), x[2].to(dt), decode), qg, k, v);
                }
            }
        }
    }

    /** l4j_rope through a transposed view, F32 and BF16, per-row and broadcast tables, forward and backward (the inverse rotation). */
    @Test
    void ropeKernel() {
        java.util.Random r = new java.util.Random(5);
        for (int tb : new int[] {2, 1}) {
            float[] c = new float[tb * 6 * 8], sn = new float[c.length];
            for (int i = 0; i < c.length; i++) { double a = r.nextDouble() * 30; c[i] = (float) Math.cos(a); sn[i] = (float) Math.sin(a); }
            Op rope32 = x -> F.rope(x[0].transpose(1, 2), Tensor.fromArray(c, tb, 1, 6, 8).to(x[0].device()), Tensor.fromArray(sn, tb, 1, 6, 8).to(x[0].device()));
            parity("rope f32, tables batch " + tb, F32, rope32, rnd(700 + tb, 2, 6, 3, 16));
            Op rope16 = x -> F.rope(x[0].to(DType.BF16).transpose(1, 2), Tensor.fromArray(c, tb, 1, 6, 8).to(x[0].device()),
                    Tensor.fromArray(sn, tb, 1, 6, 8).to(x[0].device()));
            parity("rope bf16, tables batch " + tb, BF, rope16, rnd(710 + tb, 2, 6, 3, 16));
        }
    }

    /** l4j_qgemv (m ≤ 8) and l4j_dequant + GEMM (m > 8) against the CPU's quantized linear, Q8_0 and Q4_0. */
    @Test
    void quantizedLinear() {
        for (io.liquid4j.tensor.QuantFormat f : io.liquid4j.tensor.QuantFormat.values()) {
            io.liquid4j.tensor.QuantizedWeight q = io.liquid4j.tensor.QuantizedWeight.quantize(rnd(820, 70, 96).mul(0.1), f);
            io.liquid4j.tensor.QuantizedWeight qg = q.to(GPU);
            for (int m : new int[] {1, 3, 8, 20}) {
                Tensor x = rnd(830 + m, m, 96);
                float[] want = F.linear(x, q, null).toFloatArray(), got = F.linear(x.to(GPU), qg, null).toFloatArray();
                for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), f + " m=" + m + " [" + i + "]");
            }
        }
    }

    /** l4j_adamw_multi (one launch over all slots) against one CPU adamwUpdate per tensor, three steps. */
    @Test
    void adamwMultiTensor() {
        int[] sizes = {1, 4099, 0, 70_000};
        DType[] params = {DType.F32, DType.BF16, DType.F32, DType.BF16}, grads = {DType.F32, DType.BF16, DType.F32, DType.F32};
        List<Tensor[]> cpu = new ArrayList<>(), gpu = new ArrayList<>();
        for (int t = 0; t < sizes.length; t++) {
            Tensor init = rnd(900 + t, sizes[t]);
            for (List<Tensor[]> side : List.of(cpu, gpu)) {
                Device dev = side == cpu ? Device.CPU : GPU;
                Tensor p = init.to(params[t]).to(dev).clone();
                Tensor master = params[t] == DType.F32 ? null : init.to(params[t]).to(DType.F32).to(dev).clone();
                side.add(new Tensor[] {p, Tensor.zeros(DType.F32, dev, sizes[t]), Tensor.zeros(DType.F32, dev, sizes[t]), master});
            }
        }
        for (int step = 1; step <= 3; step++) {
            F.AdamWStep s = new F.AdamWStep(1e-2, 0.9, 0.999, 1e-8, 0.1, 1 - Math.pow(0.9, step), 1 - Math.pow(0.999, step));
            List<F.AdamWSlot> slots = new ArrayList<>();
            for (int t = 0; t < sizes.length; t++) {
                Tensor g = rnd(950 + 10 * step + t, sizes[t]).to(grads[t]);
                Tensor[] c = cpu.get(t), d = gpu.get(t);
                F.adamwUpdate(c[0], g, c[1], c[2], c[3], s);
                slots.add(new F.AdamWSlot(d[0], g.to(GPU), d[1], d[2], d[3]));
            }
            F.adamwUpdateAll(slots, s);
        }
        for (int t = 0; t < sizes.length; t++) {
            for (int k = 0; k < 4; k++) {
                if (cpu.get(t)[k] == null) continue;
                float[] want = cpu.get(t)[k].to(DType.F32).toFloatArray(), got = gpu.get(t)[k].to(DType.F32).toFloatArray();
                // nvcc contracts a·b + c·d into FMAs: the F32 arrays may differ in the last bits, and a
                // BF16 parameter rounded from them by one BF16 ulp now and then
                boolean bf16 = k == 0 && params[t] == DType.BF16;
                for (int i = 0; i < want.length; i++) {
                    double tol = bf16 ? 8e-3 * Math.abs(want[i]) + 1e-6 : 1e-6 * (1 + Math.abs(want[i]));
                    assertEquals(want[i], got[i], tol, "adamw slot " + t + " tensor " + k + " [" + i + "]");
                }
            }
        }
    }

    // ---- dropout, losses -----------------------------------------------------------------

    @Test
    void dropoutSameSeedSameMask() {
        Tensor x = rnd(110, 33, 17);
        // the mask (which elements are zero) must match exactly; the kept values may differ by one f32
        // ulp: the CPU's vector loop scales by 1/(1−p) rounded to f32, the GPU (like the CPU's scalar
        // definition, UnaryOp.AFFINE) in double
        parity("dropout p=0.3 (mask exact)", 1e-6, v -> {
            Tensor d = F.dropout(v[0].t(), 0.3, true, new Generator(5));
            return List.of(d, d.eq(0));
        }, x);
        parity("dropout bf16 (mask exact)", BF, v -> {
            Tensor d = F.dropout(v[0].to(DType.BF16), 0.5, true, new Generator(6));
            return List.of(d, d.eq(0));
        }, x);
        Tensor dc = F.dropout(x, 0.3, true, new Generator(7)), dg = F.dropout(x.to(GPU), 0.3, true, new Generator(7));
        assertArrayEquals(dc.eq(0).toLongArray(), dg.eq(0).toLongArray(), "dropout masks differ");
        Tensor ident = x.to(GPU);
        assertTrue(F.dropout(ident, 0.3, false, new Generator(7)) == ident, "eval-mode dropout must be the identity");
    }

    @Test
    void crossEntropyWithIgnoreAndZLoss() {
        Tensor logits = rnd(120, 7, 301).mul(3);
        Tensor t = ids(new long[] {0, 300, -100, 17, 42, -100, 150}, 7);
        parity("crossEntropy ignore + zLoss", F32, v -> F.crossEntropy(v[0], v[1], -100, 1e-3), logits, t);
        parity("crossEntropy no zLoss, I32 targets", F32, v -> F.crossEntropy(v[0], v[1], -100, 0), logits,
                Tensor.fromArray(new int[] {5, 6, 7, 8, 9, 10, 11}, 7));
        parity("crossEntropy on transposed logits", F32, v -> F.crossEntropy(v[0].t(), v[1], 3, 1e-4), rnd(121, 50, 6),
                ids(new long[] {3, 1, 49, 3, 0, 7}, 6));
        parity("crossEntropy bf16 logits", BF, v -> F.crossEntropy(v[0].to(DType.BF16), v[1], -100, 1e-3), logits, t);
        parity("crossEntropy all ignored", F32, v -> F.crossEntropy(v[0], v[1], 2, 1e-3), rnd(122, 2, 9), ids(new long[] {2, 2}, 2));
    }

    // ---- random numbers, casts, creation, host access ------------------------------------

    @Test
    void randomMatchesCpu() {
        for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Generator gc = new Generator(77), gg = new Generator(77);
            for (int round = 0; round < 2; round++) {
                compare("randn " + t, Tensor.randn(gc, t, Device.CPU, 37, 29), Tensor.randn(gg, t, GPU, 37, 29), t == DType.F32 ? 1e-6 : 0);
                compare("rand " + t, Tensor.rand(gc, t, Device.CPU, 1001), Tensor.rand(gg, t, GPU, 1001), 0);
            }
        }
        float[] u = Tensor.rand(new Generator(3), DType.BF16, GPU, 100000).toFloatArray();
        for (float f : u) assertTrue(f >= 0 && f < 1, "uniform bf16 value " + f + " outside [0, 1)");
    }

    @Test
    void castsAndTheirGradients() {
        Tensor x = rnd(130, 9, 13).mul(100);
        for (DType from : new DType[] {DType.F32, DType.BF16, DType.F16, DType.I32, DType.I64, DType.U8}) {
            for (DType to : DType.values()) {
                Tensor src = from == DType.U8 ? x.abs().to(from) : x.to(from);
                compare("cast " + from + "->" + to, src.t().to(to), src.to(GPU).t().to(to), 0);
            }
        }
        parity("to(bf16).to(f16).to(f32) grad", BF, v -> v[0].to(DType.BF16).to(DType.F16).to(DType.F32).mul(v[0]), rnd(131, 6, 5));
        parity("to(Device) inside the graph", F32, v -> v[0].to(Device.CPU).exp().to(v[0].device()).mul(v[0]), rnd(132, 4, 5));
    }

    @Test
    void creationInPlaceAndHostAccess() {
        for (DType t : DType.values()) {
            compare("arange " + t, Tensor.arange(-3, 17, 1.5, t, Device.CPU), Tensor.arange(-3, 17, 1.5, t, GPU), 0);
            compare("full " + t, Tensor.full(2.75, t, Device.CPU, 3, 5), Tensor.full(2.75, t, GPU, 3, 5), 0);
            compare("ones " + t, Tensor.ones(t, Device.CPU, 4), Tensor.ones(t, GPU, 4), 0);
            Tensor h = rnd(140, 7, 3).mul(50).to(t);
            compare("host round trip " + t, h, h.to(GPU).to(Device.CPU).to(GPU), 0);
        }
        assertEquals(-4.5, Tensor.scalar(-4.5, DType.F32, GPU).item());
        assertEquals(123456789L, (long) Tensor.full(123456789, DType.I64, GPU, 1).item());
        Tensor g = rnd(141, 4, 6).to(GPU);
        assertEquals(rnd(141, 4, 6).get(2, 5), g.get(2, 5));
        assertArrayEquals(new int[] {1, 2, 3}, Tensor.fromArray(new int[] {1, 2, 3}, 3).to(GPU).toIntArray());
        // in-place ops on views, both devices
        Tensor[] c = {rnd(142, 5, 6), rnd(142, 5, 6).to(GPU)};
        for (Tensor t : c) {
            t.narrow(1, 1, 3).addInPlace(Tensor.ones(DType.F32, t.device(), 3));
            t.t().narrow(0, 0, 2).mulInPlace(2.5);
            t.narrow(0, 4, 1).fill(-7);
            t.narrow(0, 0, 2).subInPlace(t.narrow(0, 2, 2));
            t.slice(1, 0, 6, 2).divInPlace(Tensor.full(4, DType.BF16, t.device(), 3));
            t.narrow(0, 3, 1).copyFrom(Tensor.arange(0, 6, DType.I64, t.device()));
            t.affineInPlace(0.5, 1);
        }
        compare("in-place ops", c[0], c[1], F32);
        // large transfer (> one staging chunk), odd byte count
        int n = 9_000_001;
        float[] big = new float[n];
        for (int i = 0; i < n; i++) big[i] = i * 0.5f;
        Tensor bg = Tensor.fromArray(big, n).to(GPU);
        assertArrayEquals(big, bg.toFloatArray());
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) bytes[i] = (byte) (i * 31);
        assertArrayEquals(Tensor.fromArray(bytes, n).toLongArray(), Tensor.fromArray(bytes, n).to(GPU).toLongArray());
    }

    @Test
    void pinnedStagingCopiesAreExact() {
        CudaBackend be = CudaBackend.get();
        for (long bytes : new long[] {1, 4097, CudaBackend.STAGING_CHUNK - 1, 3 * CudaBackend.STAGING_CHUNK + 12345}) {
            int n = (int) (bytes / 4 + 1);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment src = a.allocate(4L * n, 64), dst = a.allocate(4L * n, 64);
                for (int i = 0; i < n; i++) src.setAtIndex(ValueLayout.JAVA_INT, i, i * 7 + 1);
                Tensor t = Tensor.empty(DType.I32, GPU, n);
                be.writeFromHost(src, t);
                be.readToHost(t, dst);
                assertEquals(-1, src.mismatch(dst), "staged copy of " + bytes + " bytes");
            }
        }
    }

    // ---- a whole training step -----------------------------------------------------------

    @Test
    void smallTransformerBlockTrainingStep() {
        int b = 2, s = 5, d = 24, v = 37;
        Tensor emb = rnd(150, v, d).mul(0.5), wq = rnd(151, d, d).mul(0.2), wk = rnd(152, d, d).mul(0.2), wv = rnd(153, d, d).mul(0.2);
        Tensor w1 = rnd(154, 4 * d, d).mul(0.2), w2 = rnd(155, d, 2 * d).mul(0.2), nw = rnd(156, d), head = rnd(157, v, d).mul(0.2);
        Tensor tok = ids(new long[] {1, 5, 9, 36, 0, 7, 7, 2, 30, 11}, b, s);
        Tensor tgt = ids(new long[] {5, 9, 36, 0, -100, 7, 2, 30, 11, 4}, b * s);
        parity("transformer block step", F32, x -> {
            Tensor h = F.embedding(x[8], x[0]);                                   // [b, s, d]
            Tensor hn = F.rmsNorm(h, x[6], 1e-6);
            Tensor q = F.linear(hn, x[1], null).reshape(b, s, 2, d / 2).transpose(1, 2);
            Tensor k = F.linear(hn, x[2], null).reshape(b, s, 2, d / 2).transpose(1, 2);
            Tensor val = F.linear(hn, x[3], null).reshape(b, s, 2, d / 2).transpose(1, 2);
            Tensor att = F.attention(q, k, val, AttentionSpec.causal(1 / Math.sqrt(d / 2.0)));
            h = h.add(att.transpose(1, 2).reshape(b, s, d));
            Tensor m = F.linear(F.layerNorm(h, null, null, 1e-5), x[4], null);
            Tensor[] gu = m.chunk(2, -1).toArray(new Tensor[0]);
            h = h.add(F.linear(gu[0].gelu().mul(gu[1]), x[5], null));
            Tensor logits = F.linear(F.rmsNorm(h, x[6], 1e-6), x[7], null).reshape(b * s, v);
            return F.crossEntropy(logits, x[9], -100, 1e-4);
        }, emb, wq, wk, wv, w1, w2, nw, head, tok, tgt);
    }
}
