package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.BinaryOp;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise kernels. Each op has a Vector API fast path for F32 runs with unit stride (the
 * common case after dim merging) and a general scalar path over any strides and dtypes that
 * computes in double with {@link UnaryOp#apply}/{@link BinaryOp#apply} — the reference.
 *
 * <p>How the vector loops are written, and why: a vector stays in registers only while every
 * method it passes through is inlined. C2 stops inlining our own methods once a compilation
 * grows past its node budget (NodeCountInliningCutoff; the Vector API's own methods are
 * force-inlined and exempt), and one VectorMath.exp is most of that budget. So each op's loop
 * is a method of its own, loads and stores call the Vector API directly (no load helper), and
 * only VectorMath / {@link #sigmoid} are ours inside a loop. Written otherwise, a training run
 * boxed tens of GB of vectors a minute (BENCHMARKS.md "Vectors that escaped").
 */
final class CpuElementwise {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private CpuElementwise() {}

    static MemorySegment seg(Tensor t) { return ((CpuStorage) t.storage()).segment(); }

    static StridedLoop loop(Tensor... ts) {
        long[] base = new long[ts.length];
        long[][] st = new long[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            base[i] = ts[i].offset();
            st[i] = ts[i].strides();
        }
        return StridedLoop.of(ts[0].shape(), base, st);
    }

    // ---- copy / fill ---------------------------------------------------------------------

    static void copy(Tensor src, Tensor dst) {
        MemorySegment s = seg(src), d = seg(dst);
        DType st = src.dtype(), dt = dst.dtype();
        StridedLoop l = loop(dst, src);
        boolean ints = !st.isFloating() && !dt.isFloating();
        l.forEach((offs, len) -> {
            long od = offs[0], os = offs[1];
            long sd = l.innerStride[0], ss = l.innerStride[1];
            if (st == dt && sd == 1 && ss == 1) {
                MemorySegment.copy(s, os * st.byteSize(), d, od * dt.byteSize(), (long) len * st.byteSize());
            } else if (st == DType.F32 && dt == DType.BF16 && sd == 1 && ss == 1) {
                for (int i = 0; i < len; i++) d.set(Access.S, (od + i) * 2, DType.floatToBf16(s.get(Access.F, (os + i) * 4)));
            } else if (ints) {
                for (int i = 0; i < len; i++) Access.putLong(d, dt, od + i * sd, Access.getLong(s, st, os + i * ss));
            } else {
                for (int i = 0; i < len; i++) Access.put(d, dt, od + i * sd, Access.get(s, st, os + i * ss));
            }
        });
    }

    static void fill(Tensor dst, double value) {
        MemorySegment d = seg(dst);
        DType dt = dst.dtype();
        StridedLoop l = loop(dst);
        boolean zero = value == 0 && Double.doubleToRawLongBits(value) == 0;
        l.forEach((offs, len) -> {
            long o = offs[0], s = l.innerStride[0];
            if (zero && s == 1) {
                d.asSlice(o * dt.byteSize(), (long) len * dt.byteSize()).fill((byte) 0);
            } else if (dt == DType.F32 && s == 1) {
                float v = (float) value;
                for (int i = 0; i < len; i++) d.set(Access.F, (o + i) * 4, v);
            } else {
                for (int i = 0; i < len; i++) Access.put(d, dt, o + i * s, value);
            }
        });
    }

    // ---- unary ---------------------------------------------------------------------------

    static void unary(UnaryOp op, Tensor x, Tensor out, double p, double q) {
        MemorySegment xs = seg(x), os = seg(out);
        DType xt = x.dtype(), ot = out.dtype();
        StridedLoop l = loop(out, x);
        boolean fast = xt == DType.F32 && ot == DType.F32 && l.allUnitInner() && vectorizable(op);
        l.forEach((offs, len) -> {
            if (fast) {
                unaryF32(op, xs, offs[1] * 4, os, offs[0] * 4, len, (float) p, (float) q);
            } else {
                long so = l.innerStride[0], sx = l.innerStride[1];
                for (int i = 0; i < len; i++) {
                    Access.put(os, ot, offs[0] + i * so, (float) op.apply((float) Access.get(xs, xt, offs[1] + i * sx), p, q));
                }
            }
        });
    }

    /**
     * GELU (erf), LOG and POW take the scalar loop: erf has no vector operator, and the Vector
     * API's LOG and POW are a Java fallback before C2 compiles the loop and an SVML stub after,
     * which round differently, so a result would depend on how warm the JVM was (Math.log and
     * Math.pow use the same stubs in every tier). TANH and GELU_TANH use VectorMath's tanh for
     * the same reason.
     */
    private static boolean vectorizable(UnaryOp op) {
        return op != UnaryOp.GELU && op != UnaryOp.LOG && op != UnaryOp.POW;
    }

    /**
     * Vector loop over len contiguous f32 values (byte offsets); the tail uses the scalar
     * definition. Each op runs in a loop method of its own, and no vector crosses a call that
     * C2 might not inline: with one loop that switched on the op inside, the method outgrew C2's
     * inlining budget (NodeCountInliningCutoff), VectorMath.exp stayed a call, its vectors were
     * boxed, and SiLU/exp/sigmoid allocated ~3 heap vectors per 16 floats (14 MB per call on a
     * [3072, 384] tensor, 5x slower; BENCHMARKS.md "Vectors that escaped").
     */
    private static void unaryF32(UnaryOp op, MemorySegment in, long ib, MemorySegment out, long ob, int len, float p, float q) {
        int full = len - len % SP.length();
        switch (op) {
            case NEG -> negF32(in, ib, out, ob, full);
            case EXP -> expF32(in, ib, out, ob, full);
            case SQRT -> sqrtF32(in, ib, out, ob, full);
            case RSQRT -> rsqrtF32(in, ib, out, ob, full);
            case ABS -> absF32(in, ib, out, ob, full);
            case TANH -> tanhF32(in, ib, out, ob, full);
            case SIGMOID -> sigmoidF32(in, ib, out, ob, full);
            case SILU -> siluF32(in, ib, out, ob, full);
            case GELU_TANH -> geluTanhF32(in, ib, out, ob, full);
            case RELU -> reluF32(in, ib, out, ob, full);
            case CLAMP -> clampF32(in, ib, out, ob, full, p, q);
            case AFFINE -> affineF32(in, ib, out, ob, full, p, q);
            case GELU, LOG, POW -> throw new IllegalStateException(op + " has no vector path");
        }
        for (int i = full; i < len; i++) {
            out.set(Access.F, ob + i * 4L, (float) op.apply(in.get(Access.F, ib + i * 4L), p, q));
        }
    }

    private static void negF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).neg().intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void expF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            VectorMath.exp(FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE)).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void sqrtF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).sqrt().intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void rsqrtF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            one.div(FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).sqrt()).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void absF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).abs().intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void tanhF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            VectorMath.tanh(FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE)).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void sigmoidF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            sigmoid(FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE)).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void siluF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE);
            v.mul(sigmoid(v)).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void geluTanhF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE);
            FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(GELU_C);
            // 0.5·(1 + tanh(u)) = sigmoid(2u): no cancellation where tanh(u) is near −1 (1 + tanh lost
            // up to 1e-3 of the result for x near −4), and no overflow of (1 + t)·x for |x| > 1.7e38
            v.mul(sigmoid(inner.add(inner))).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    /** max(x, 0) keeps NaN, matching UnaryOp.RELU (and PyTorch). */
    private static void reluF32(MemorySegment in, long ib, MemorySegment out, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).max(0f).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void clampF32(MemorySegment in, long ib, MemorySegment out, long ob, int full, float p, float q) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).max(p).min(q).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    private static void affineF32(MemorySegment in, long ib, MemorySegment out, long ob, int full, float p, float q) {
        FloatVector pv = FloatVector.broadcast(SP, p), qv = FloatVector.broadcast(SP, q);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE).fma(pv, qv).intoMemorySegment(out, ob + i * 4L, LE);
        }
    }

    /**
     * σ(v) from e = e^−|v| ≤ 1, which {@link VectorMath#expScore} computes without exp's clamps
     * and overflow handling: 1/(1 + e) for v ≥ 0, e/(1 + e) below (the same value, with nothing
     * that overflows: 1/(1 + e^−v) took e^−v up to +∞ for v ≤ −88.7). NaN stays NaN.
     */
    static FloatVector sigmoid(FloatVector v) {
        FloatVector e = VectorMath.expScore(v.abs().neg());
        return FloatVector.broadcast(v.species(), 1f).blend(e, v.compare(VectorOperators.LT, 0f)).div(e.add(1f));
    }

    static void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor g, Tensor gi, double p, double q) {
        MemorySegment xs = seg(x), ys = seg(y), gs = seg(g), os = seg(gi);
        DType xt = x.dtype(), yt = y.dtype(), gt = g.dtype(), ot = gi.dtype();
        StridedLoop l = loop(gi, x, y, g);
        boolean fast = xt == DType.F32 && yt == DType.F32 && gt == DType.F32 && ot == DType.F32 && l.allUnitInner()
                && backwardVectorizable(op);
        l.forEach((offs, len) -> {
            if (fast) {
                unaryBackwardF32(op, xs, offs[1] * 4, ys, offs[2] * 4, gs, offs[3] * 4, os, offs[0] * 4, len, (float) p, (float) q);
                return;
            }
            long s0 = l.innerStride[0], s1 = l.innerStride[1], s2 = l.innerStride[2], s3 = l.innerStride[3];
            for (int i = 0; i < len; i++) {
                double xv = Access.get(xs, xt, offs[1] + i * s1);
                double yv = Access.get(ys, yt, offs[2] + i * s2);
                double gv = Access.get(gs, gt, offs[3] + i * s3);
                Access.put(os, ot, offs[0] + i * s0, gv * op.derivative(xv, yv, p, q));
            }
        });
    }

    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);

    /** Ops whose derivative has a vector form below (GELU needs erf; POW and ABS keep the scalar edge cases). */
    private static boolean backwardVectorizable(UnaryOp op) {
        return switch (op) {
            case NEG, EXP, LOG, SQRT, RSQRT, TANH, SIGMOID, SILU, GELU_TANH, RELU, CLAMP, AFFINE -> true;
            case GELU, POW, ABS -> false;
        };
    }

    /**
     * gi = g · op'(x, y) over len contiguous f32 values (byte offsets), in f32 with the formulas of
     * {@link UnaryOp#derivative}; the tail uses the scalar definition. Training spends most of its
     * elementwise time here (SiLU of every SwiGLU MLP), which the scalar double-precision loop made
     * a third of an LM training step (BENCHMARKS.md). One loop method per op, as {@link #unaryF32}:
     * with the switch inside one loop, a VQGAN run boxed the vectors of this method (3 GB a minute).
     */
    private static void unaryBackwardF32(UnaryOp op, MemorySegment xs, long xb, MemorySegment ys, long yb, MemorySegment gs, long gb,
                                         MemorySegment os, long ob, int len, float p, float q) {
        int full = len - len % SP.length();
        switch (op) {
            case NEG -> affineBackwardF32(gs, gb, os, ob, full, -1f);
            case EXP -> productBackwardF32(ys, yb, gs, gb, os, ob, full);
            case LOG -> logBackwardF32(xs, xb, gs, gb, os, ob, full);
            case SQRT -> sqrtBackwardF32(ys, yb, gs, gb, os, ob, full);
            case RSQRT -> rsqrtBackwardF32(ys, yb, gs, gb, os, ob, full);
            case TANH -> tanhBackwardF32(ys, yb, gs, gb, os, ob, full);
            case SIGMOID -> sigmoidBackwardF32(ys, yb, gs, gb, os, ob, full);
            case SILU -> siluBackwardF32(xs, xb, gs, gb, os, ob, full);
            case GELU_TANH -> geluTanhBackwardF32(xs, xb, gs, gb, os, ob, full);
            case RELU -> reluBackwardF32(xs, xb, gs, gb, os, ob, full);
            case CLAMP -> clampBackwardF32(xs, xb, gs, gb, os, ob, full, p, q);
            case AFFINE -> affineBackwardF32(gs, gb, os, ob, full, p);
            default -> throw new IllegalStateException(op + " has no vector derivative");
        }
        for (int i = full; i < len; i++) {
            double xv = xs.get(Access.F, xb + i * 4L), yv = ys.get(Access.F, yb + i * 4L), gv = gs.get(Access.F, gb + i * 4L);
            os.set(Access.F, ob + i * 4L, (float) (gv * op.derivative(xv, yv, p, q)));
        }
    }

    /** d = a constant (NEG: −1, AFFINE: p). */
    private static void affineBackwardF32(MemorySegment gs, long gb, MemorySegment os, long ob, int full, float d) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(d).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = y (EXP). */
    private static void productBackwardF32(MemorySegment ys, long yb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(FloatVector.fromMemorySegment(SP, ys, yb + i * 4L, LE)).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = 1 / x. */
    private static void logBackwardF32(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(one.div(FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE))).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = 0.5 / y. */
    private static void sqrtBackwardF32(MemorySegment ys, long yb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector half = FloatVector.broadcast(SP, 0.5f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(half.div(FloatVector.fromMemorySegment(SP, ys, yb + i * 4L, LE))).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = −y³/2. */
    private static void rsqrtBackwardF32(MemorySegment ys, long yb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector y = FloatVector.fromMemorySegment(SP, ys, yb + i * 4L, LE);
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(y.mul(y).mul(y).mul(-0.5f)).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = 1 − y². */
    private static void tanhBackwardF32(MemorySegment ys, long yb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector y = FloatVector.fromMemorySegment(SP, ys, yb + i * 4L, LE);
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(one.sub(y.mul(y))).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = y(1 − y). */
    private static void sigmoidBackwardF32(MemorySegment ys, long yb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector y = FloatVector.fromMemorySegment(SP, ys, yb + i * 4L, LE);
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(y.mul(one.sub(y))).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = σ(x)(1 + x(1 − σ(x))). */
    private static void siluBackwardF32(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE), sg = sigmoid(v);
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(sg.mul(v.mul(one.sub(sg)).add(1f))).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    private static void geluTanhBackwardF32(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE), v2 = v.mul(v);
            FloatVector t = VectorMath.tanh(v2.mul(0.044715f).mul(v).add(v).mul(GELU_C));
            FloatVector dInner = v2.mul(3 * 0.044715f).add(1f).mul(GELU_C);
            FloatVector d = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(one.sub(t.mul(t))).mul(dInner));
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(d).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = 1 where x > 0, else 0 (NaN gives 0). */
    private static void reluBackwardF32(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment os, long ob, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f), zero = FloatVector.zero(SP);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector d = zero.blend(one, FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE).compare(VectorOperators.GT, 0f));
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(d).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** d = 1 where lo ≤ x ≤ hi, else 0 (NaN gives 0). */
    private static void clampBackwardF32(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment os, long ob, int full,
                                         float lo, float hi) {
        FloatVector one = FloatVector.broadcast(SP, 1f), zero = FloatVector.zero(SP);
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE);
            FloatVector d = zero.blend(one, v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi)));
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + i * 4L, LE);
            g.mul(d).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    // ---- binary --------------------------------------------------------------------------

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        MemorySegment as = seg(a), bs = seg(b), os = seg(out);
        DType at = a.dtype(), bt = b.dtype(), ot = out.dtype();
        StridedLoop l = loop(out, a, b);
        boolean f32 = at == DType.F32 && bt == DType.F32 && ot == DType.F32 && vectorizable(op);
        boolean ints = !at.isFloating() && !bt.isFloating() && !ot.isFloating() && op != BinaryOp.POW && op != BinaryOp.DIV;
        l.forEach((offs, len) -> {
            long so = l.innerStride[0], sa = l.innerStride[1], sb = l.innerStride[2];
            if (f32 && so == 1 && sa == 1 && (sb == 1 || sb == 0)) {
                binaryF32(op, as, offs[1] * 4, bs, offs[2] * 4, sb == 0, os, offs[0] * 4, len);
            } else if (ints) {
                for (int i = 0; i < len; i++) {
                    long x = Access.getLong(as, at, offs[1] + i * sa), y = Access.getLong(bs, bt, offs[2] + i * sb);
                    long r = switch (op) {
                        case ADD -> x + y;
                        case SUB -> x - y;
                        case MUL -> x * y;
                        case MAX -> Math.max(x, y);
                        case MIN -> Math.min(x, y);
                        // exact long comparisons: going through double would merge values beyond 2^53
                        case EQ -> x == y ? 1 : 0;
                        case NE -> x != y ? 1 : 0;
                        case LT -> x < y ? 1 : 0;
                        case LE -> x <= y ? 1 : 0;
                        case GT -> x > y ? 1 : 0;
                        case GE -> x >= y ? 1 : 0;
                        default -> (long) op.apply(x, y);
                    };
                    Access.putLong(os, ot, offs[0] + i * so, r);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    double x = Access.get(as, at, offs[1] + i * sa), y = Access.get(bs, bt, offs[2] + i * sb);
                    // f32 semantics for floating outputs: round the operands as the tensors hold them
                    double r = ot.isFloating() ? (float) op.apply(x, y) : op.apply(x, y);
                    Access.put(os, ot, offs[0] + i * so, r);
                }
            }
        });
    }

    private static boolean vectorizable(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN -> true;
            default -> false;
        };
    }

    /**
     * Vector loops over len contiguous f32 values (byte offsets); the tail uses the scalar
     * definition. One loop per operator and per kind of b (a run or one broadcast value), with
     * nothing op- or b-dependent inside: with a single loop that switched on the op inside,
     * C2's profiled loop predication failed and recompiled this method every ~250 ms for the
     * first ~25 s of a decode, and a fresh JVM decoded at half speed all that time. And each
     * operator's loops sit in a method of their own: all twelve in this one outgrew C2's
     * inlining budget in a training run, the loads stayed calls and every vector was boxed
     * (33 GB of heap vectors in a minute of training; see {@link #unaryF32}).
     */
    private static void binaryF32(BinaryOp op, MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar,
                                  MemorySegment o, long ob, int len) {
        int full = len - len % SP.length();
        switch (op) {
            case ADD -> addF32(a, ab, b, bb, bScalar, o, ob, full);
            case SUB -> subF32(a, ab, b, bb, bScalar, o, ob, full);
            case MUL -> mulF32(a, ab, b, bb, bScalar, o, ob, full);
            case DIV -> divF32(a, ab, b, bb, bScalar, o, ob, full);
            case MAX -> maxF32(a, ab, b, bb, bScalar, o, ob, full);
            case MIN -> minF32(a, ab, b, bb, bScalar, o, ob, full);
            default -> throw new IllegalStateException(op.name());
        }
        for (int i = full; i < len; i++) {
            float x = a.get(Access.F, ab + i * 4L), y = b.get(Access.F, bScalar ? bb : bb + i * 4L);
            o.set(Access.F, ob + i * 4L, (float) op.apply(x, y));
        }
    }

    private static void addF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).add(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.add(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }

    private static void subF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).sub(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.sub(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }

    private static void mulF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).mul(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.mul(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }

    private static void divF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).div(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.div(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }

    private static void maxF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).max(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.max(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }

    private static void minF32(MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar, MemorySegment o, long ob, int full) {
        int n = SP.length();
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            for (int i = 0; i < full; i += n) {
                FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE).min(y)
                        .intoMemorySegment(o, ob + i * 4L, LE);
            }
        } else {
            for (int i = 0; i < full; i += n) {
                FloatVector x = FloatVector.fromMemorySegment(SP, a, ab + i * 4L, LE);
                x.min(FloatVector.fromMemorySegment(SP, b, bb + i * 4L, LE)).intoMemorySegment(o, ob + i * 4L, LE);
            }
        }
    }


    static void where(Tensor c, Tensor a, Tensor b, Tensor out) {
        MemorySegment cs = seg(c), as = seg(a), bs = seg(b), os = seg(out);
        DType t = out.dtype();
        StridedLoop l = loop(out, c, a, b);
        l.forEach((offs, len) -> {
            long so = l.innerStride[0], sc = l.innerStride[1], sa = l.innerStride[2], sb = l.innerStride[3];
            int w = t.byteSize();
            for (int i = 0; i < len; i++) {
                boolean cond = cs.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offs[1] + i * sc) != 0;
                long src = cond ? offs[2] + i * sa : offs[3] + i * sb;
                MemorySegment.copy(cond ? as : bs, src * w, os, (offs[0] + i * so) * w, w);
            }
        });
    }
}
