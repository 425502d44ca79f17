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

    private static boolean vectorizable(UnaryOp op) {
        return op != UnaryOp.GELU;   // erf has no vector operator
    }

    /** Vector loop over len contiguous f32 values (byte offsets); the tail uses the scalar definition. */
    private static void unaryF32(UnaryOp op, MemorySegment in, long ib, MemorySegment out, long ob, int len, float p, float q) {
        int n = SP.length();
        int i = 0;
        for (; i <= len - n; i += n) {
            FloatVector v = FloatVector.fromMemorySegment(SP, in, ib + i * 4L, LE);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case EXP -> VectorMath.exp(v);
                case LOG -> v.lanewise(VectorOperators.LOG);
                case SQRT -> v.sqrt();
                case RSQRT -> FloatVector.broadcast(SP, 1f).div(v.sqrt());
                case ABS -> v.abs();
                case TANH -> v.lanewise(VectorOperators.TANH);
                case SIGMOID -> sigmoid(v);
                case SILU -> v.mul(sigmoid(v));
                case GELU_TANH -> {
                    FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul((float) Math.sqrt(2 / Math.PI));
                    // halve before multiplying by x: (1 + t)·x overflows f32 for |x| > 1.7e38
                    yield inner.lanewise(VectorOperators.TANH).add(1f).mul(0.5f).mul(v);
                }
                // max(x, 0) keeps NaN, matching UnaryOp.RELU (and PyTorch)
                case RELU -> v.max(0f);
                case POW -> v.lanewise(VectorOperators.POW, p);
                case CLAMP -> v.max(p).min(q);
                case AFFINE -> v.fma(FloatVector.broadcast(SP, p), FloatVector.broadcast(SP, q));
                case GELU -> throw new IllegalStateException("GELU has no vector path");
            };
            r.intoMemorySegment(out, ob + i * 4L, LE);
        }
        for (; i < len; i++) {
            out.set(Access.F, ob + i * 4L, (float) op.apply(in.get(Access.F, ib + i * 4L), p, q));
        }
    }

    static FloatVector sigmoid(FloatVector v) {
        return FloatVector.broadcast(v.species(), 1f).div(VectorMath.exp(v.neg()).add(1f));
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
     * a third of an LM training step (BENCHMARKS.md).
     */
    private static void unaryBackwardF32(UnaryOp op, MemorySegment xs, long xb, MemorySegment ys, long yb, MemorySegment gs, long gb,
                                         MemorySegment os, long ob, int len, float p, float q) {
        int n = SP.length(), full = len - len % n;
        FloatVector one = FloatVector.broadcast(SP, 1f), zero = FloatVector.zero(SP);
        for (int i = 0; i < full; i += n) {
            FloatVector g = x(gs, gb, i), d;
            switch (op) {
                case NEG -> d = one.neg();
                case EXP -> d = x(ys, yb, i);
                case LOG -> d = one.div(x(xs, xb, i));
                case SQRT -> d = FloatVector.broadcast(SP, 0.5f).div(x(ys, yb, i));
                case RSQRT -> {
                    FloatVector y = x(ys, yb, i);
                    d = y.mul(y).mul(y).mul(-0.5f);
                }
                case TANH -> {
                    FloatVector y = x(ys, yb, i);
                    d = one.sub(y.mul(y));
                }
                case SIGMOID -> {
                    FloatVector y = x(ys, yb, i);
                    d = y.mul(one.sub(y));
                }
                case SILU -> {
                    FloatVector v = x(xs, xb, i), sg = sigmoid(v);
                    d = sg.mul(v.mul(one.sub(sg)).add(1f));
                }
                case GELU_TANH -> {
                    FloatVector v = x(xs, xb, i), v2 = v.mul(v);
                    FloatVector t = VectorMath.tanh(v2.mul(0.044715f).mul(v).add(v).mul(GELU_C));
                    FloatVector dInner = v2.mul(3 * 0.044715f).add(1f).mul(GELU_C);
                    d = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(one.sub(t.mul(t))).mul(dInner));
                }
                case RELU -> d = zero.blend(one, x(xs, xb, i).compare(VectorOperators.GT, 0f));
                case CLAMP -> {
                    FloatVector v = x(xs, xb, i);
                    d = zero.blend(one, v.compare(VectorOperators.GE, p).and(v.compare(VectorOperators.LE, q)));
                }
                case AFFINE -> d = FloatVector.broadcast(SP, p);
                default -> throw new IllegalStateException(op + " has no vector derivative");
            }
            g.mul(d).intoMemorySegment(os, ob + i * 4L, LE);
        }
        for (int i = full; i < len; i++) {
            double xv = xs.get(Access.F, xb + i * 4L), yv = ys.get(Access.F, yb + i * 4L), gv = gs.get(Access.F, gb + i * 4L);
            os.set(Access.F, ob + i * 4L, (float) (gv * op.derivative(xv, yv, p, q)));
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
     * first ~25 s of a decode, and a fresh JVM decoded at half speed all that time.
     */
    private static void binaryF32(BinaryOp op, MemorySegment a, long ab, MemorySegment b, long bb, boolean bScalar,
                                  MemorySegment o, long ob, int len) {
        int n = SP.length(), full = len - len % n;
        if (bScalar) {
            FloatVector y = FloatVector.broadcast(SP, b.get(Access.F, bb));
            switch (op) {
                case ADD -> { for (int i = 0; i < full; i += n) x(a, ab, i).add(y).intoMemorySegment(o, ob + i * 4L, LE); }
                case SUB -> { for (int i = 0; i < full; i += n) x(a, ab, i).sub(y).intoMemorySegment(o, ob + i * 4L, LE); }
                case MUL -> { for (int i = 0; i < full; i += n) x(a, ab, i).mul(y).intoMemorySegment(o, ob + i * 4L, LE); }
                case DIV -> { for (int i = 0; i < full; i += n) x(a, ab, i).div(y).intoMemorySegment(o, ob + i * 4L, LE); }
                case MAX -> { for (int i = 0; i < full; i += n) x(a, ab, i).max(y).intoMemorySegment(o, ob + i * 4L, LE); }
                case MIN -> { for (int i = 0; i < full; i += n) x(a, ab, i).min(y).intoMemorySegment(o, ob + i * 4L, LE); }
                default -> throw new IllegalStateException(op.name());
            }
        } else {
            switch (op) {
                case ADD -> { for (int i = 0; i < full; i += n) x(a, ab, i).add(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                case SUB -> { for (int i = 0; i < full; i += n) x(a, ab, i).sub(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                case MUL -> { for (int i = 0; i < full; i += n) x(a, ab, i).mul(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                case DIV -> { for (int i = 0; i < full; i += n) x(a, ab, i).div(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                case MAX -> { for (int i = 0; i < full; i += n) x(a, ab, i).max(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                case MIN -> { for (int i = 0; i < full; i += n) x(a, ab, i).min(x(b, bb, i)).intoMemorySegment(o, ob + i * 4L, LE); }
                default -> throw new IllegalStateException(op.name());
            }
        }
        for (int i = full; i < len; i++) {
            float x = a.get(Access.F, ab + i * 4L), y = b.get(Access.F, bScalar ? bb : bb + i * 4L);
            o.set(Access.F, ob + i * 4L, (float) op.apply(x, y));
        }
    }

    /** The vector of f32 values i.. of the run at byte offset base. */
    private static FloatVector x(MemorySegment s, long base, int i) {
        return FloatVector.fromMemorySegment(SP, s, base + i * 4L, LE);
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
