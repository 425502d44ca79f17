package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpsElementwiseTest {
    /** Sizes: scalar-ish, below one vector, odd, a vector tail, and above the 16384-element chunk. */
    static final int[] SIZES = {1, 7, 33, 1000, 20011};

    // ---- independent references -----------------------------------------------------------

    /** erf by its Maclaurin series (|x| ≤ 4 here), accurate to ~1e-12. */
    static double erf(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double sig(double x) { return 1 / (1 + Math.exp(-x)); }

    private record U(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator ref, double lo, double hi, double atol, double rtol) {}

    static final U[] UNARY = {
        new U("neg", Tensor::neg, x -> -x, -5, 5, 0, 0),
        new U("exp", Tensor::exp, Math::exp, -20, 20, 0, 4e-7),
        new U("log", Tensor::log, Math::log, 1e-3, 100, 2e-7, 4e-7),
        new U("sqrt", Tensor::sqrt, Math::sqrt, 0, 100, 0, 1.2e-7),
        new U("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), 1e-3, 100, 0, 2.5e-7),
        new U("abs", Tensor::abs, Math::abs, -5, 5, 0, 0),
        new U("tanh", Tensor::tanh, Math::tanh, -8, 8, 1e-7, 4e-7),
        new U("sigmoid", Tensor::sigmoid, OpsElementwiseTest::sig, -30, 30, 1e-7, 4e-7),
        new U("silu", Tensor::silu, x -> x * sig(x), -30, 30, 1e-7, 4e-7),
        new U("gelu", Tensor::gelu, x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))), -5, 5, 2e-7, 4e-7),
        new U("geluTanh", Tensor::geluTanh, x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), -6, 6, 2e-7, 4e-7),
        new U("relu", Tensor::relu, x -> Math.max(x, 0), -5, 5, 0, 0),
        new U("pow2", t -> t.pow(2), x -> x * x, -5, 5, 0, 1.2e-7),
        new U("pow0.5", t -> t.pow(0.5), Math::sqrt, 0, 50, 0, 2.5e-7),
        new U("pow-1.5", t -> t.pow(-1.5), x -> Math.pow(x, -1.5), 0.1, 50, 0, 4e-7),
        new U("pow3", t -> t.pow(3), x -> x * x * x, -5, 5, 0, 4e-7),
        new U("clamp", t -> t.clamp(-0.5, 0.75), x -> Math.min(Math.max(x, (float) -0.5), 0.75), -2, 2, 0, 0),
        new U("add", t -> t.add(1.5), x -> x + 1.5, -5, 5, 0, 0),
        new U("sub", t -> t.sub(0.25), x -> x - 0.25, -5, 5, 0, 0),
        new U("mul", t -> t.mul(-3.0), x -> x * -3.0, -5, 5, 0, 0),
        new U("div", t -> t.div(4.0), x -> x / 4.0, -5, 5, 0, 0),
        new U("div3", t -> t.div(3.0), x -> x / 3.0, -5, 5, 0, 2.4e-7),
        new U("rsub", t -> t.rsub(2.0), x -> 2.0 - x, -5, 5, 0, 0),
    };

    @Test
    void unaryOpsMatchDoubleReferenceAtAllSizes() {
        for (U u : UNARY) {
            for (int n : SIZES) {
                float[] x = uniform(n * 31L + u.name.hashCode(), n, u.lo, u.hi);
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) ref[i] = (float) u.ref.applyAsDouble(x[i]);
                try (var _ = TensorScope.open()) {
                    Tensor t = tensor(x, n);
                    assertClose(ref, u.op.apply(t), u.atol, u.rtol, u.name + " n=" + n);
                    // the same values as a non-contiguous (stepped) view and as a transposed 2-D view
                    assertClose(ref, u.op.apply(steppedView(x)), u.atol, u.rtol, u.name + " stepped n=" + n);
                    if (n % 7 == 0 || n == 1000) {
                        int rows = n % 7 == 0 ? 7 : 8, cols = n / rows;
                        Tensor tv = transposedView(x, rows, cols);
                        assertClose(ref, u.op.apply(tv), u.atol, u.rtol, u.name + " transposed n=" + n);
                    }
                }
            }
        }
    }

    @Test
    void unaryOnExpandedInputAndSpecialValues() {
        Tensor row = tensor(new float[] {-1, 0, 2}, 1, 3);
        Tensor e = row.expand(4, 3);
        assertArrayEquals(new float[] {1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2}, e.abs().toFloatArray());
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f};
        float[] ex = tensor(special, 5).exp().toFloatArray();
        assertTrue(Float.isNaN(ex[0]));
        assertEquals(Float.POSITIVE_INFINITY, ex[1]);
        assertEquals(0f, ex[2]);
        assertEquals(1f, ex[3]);
        float[] sg = tensor(new float[] {-1000, 1000, -88, 88}, 4).sigmoid().toFloatArray();
        assertEquals(0f, sg[0]);
        assertEquals(1f, sg[1]);
        assertFalse(Float.isNaN(sg[2]) || Float.isNaN(sg[3]));
        float[] lg = tensor(new float[] {0, -1}, 2).log().toFloatArray();
        assertEquals(Float.NEGATIVE_INFINITY, lg[0]);
        assertTrue(Float.isNaN(lg[1]));
        // relu: -0 gives 0 and NaN propagates (PyTorch semantics), in the vector body and the tail alike
        assertEquals(0f, tensor(new float[] {-0f}, 1).relu().toFloatArray()[0]);
        float[] nan = new float[37];
        java.util.Arrays.fill(nan, Float.NaN);
        for (float r : tensor(nan, 37).relu().toFloatArray()) assertTrue(Float.isNaN(r));
    }

    @Test
    void specialValuesDoNotDependOnThePositionInTheRun() {
        // vector body and scalar tail must agree with the scalar definition (UnaryOp) for NaN and ±inf
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e-45f, -1e-45f, Float.MAX_VALUE, -Float.MAX_VALUE};
        int n = 37;
        for (UnaryOp op : UnaryOp.values()) {
            for (float v : special) {
                float[] x = new float[n];
                java.util.Arrays.fill(x, v);
                double p = op == UnaryOp.CLAMP ? -1 : op == UnaryOp.POW ? 2 : op == UnaryOp.AFFINE ? 2 : 0;
                double q = op == UnaryOp.CLAMP ? 1 : op == UnaryOp.AFFINE ? 1 : 0;
                float ref = (float) op.apply(v, p, q);
                float[] got = tensor(x, n).unary(op, p, q).toFloatArray();
                for (int i = 0; i < n; i++) {
                    boolean same = Float.isNaN(ref) ? Float.isNaN(got[i]) : (ref == got[i] || Math.abs(ref - got[i]) <= 2e-7 * Math.abs(ref));
                    assertTrue(same, op + "(" + v + ") at position " + i + ": " + got[i] + " but the scalar definition gives " + ref);
                }
            }
        }
    }

    @Test
    void binarySpecialValuesDoNotDependOnThePositionInTheRun() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e-45f, Float.MAX_VALUE, 3};
        int n = 37;
        for (B op : BINARY) {
            for (float u : special) {
                for (float v : special) {
                    float[] a = new float[n], b = new float[n];
                    java.util.Arrays.fill(a, u);
                    java.util.Arrays.fill(b, v);
                    float ref = (float) op.ref.applyAsDouble(u, v);
                    float[] got = op.op.apply(tensor(a, n), tensor(b, n)).toFloatArray();
                    float[] gotS = op.op.apply(tensor(a, n), Tensor.scalar(v)).toFloatArray();
                    for (int i = 0; i < n; i++) {
                        for (float g : new float[] {got[i], gotS[i]}) {
                            boolean same = Float.isNaN(ref) ? Float.isNaN(g) : Float.floatToIntBits(ref) == Float.floatToIntBits(g) || (op.rtol > 0 && Math.abs(ref - g) <= op.rtol * Math.abs(ref));
                            assertTrue(same, op.name + "(" + u + ", " + v + ") at " + i + ": " + g + ", expected " + ref);
                        }
                    }
                }
            }
        }
    }

    @Test
    void unaryOnIntegerTensorPromotesToF32() {
        Tensor i = Tensor.fromArray(new int[] {-2, 0, 3}, 3);
        Tensor r = i.abs();
        assertEquals(DType.F32, r.dtype());
        assertArrayEquals(new float[] {2, 0, 3}, r.toFloatArray());
        assertArrayEquals(new float[] {-1, 1, 4}, Tensor.fromArray(new long[] {-2, 0, 3}, 3).add(1).toFloatArray());
    }

    @Test
    void unaryOnBf16AndF16RoundsTheF32Result() {
        float[] x = uniform(5, 1000, -3, 3);
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor t = tensor(x, 1000).to(dt);
            float[] held = t.toFloatArray();
            Tensor y = t.tanh();
            assertEquals(dt, y.dtype());
            float[] got = y.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                float f = (float) Math.tanh(held[i]);
                float exp = dt == DType.BF16 ? DType.bf16ToFloat(DType.floatToBf16(f)) : DType.f16ToFloat(DType.floatToF16(f));
                assertEquals(exp, got[i], dt + " element " + i);
            }
        }
    }

    // ---- binary ----------------------------------------------------------------------------

    private record B(String name, java.util.function.BiFunction<Tensor, Tensor, Tensor> op, java.util.function.DoubleBinaryOperator ref, double atol, double rtol) {}

    static final B[] BINARY = {
        new B("add", Tensor::add, (a, b) -> a + b, 0, 0),
        new B("sub", Tensor::sub, (a, b) -> a - b, 0, 0),
        new B("mul", Tensor::mul, (a, b) -> a * b, 0, 0),
        new B("div", Tensor::div, (a, b) -> a / b, 0, 0),
        new B("maximum", Tensor::maximum, Math::max, 0, 0),
        new B("minimum", Tensor::minimum, Math::min, 0, 0),
        new B("pow", (a, b) -> a.abs().add(0.5).pow(b), (a, b) -> Math.pow((float) (Math.abs(a) + 0.5), b), 1e-30, 4e-7),
    };

    /** out[c] = ref(a[bcast c], b[bcast c]) for row-major arrays. */
    static double[] broadcastRef(float[] a, int[] as, float[] b, int[] bs, int[] os, java.util.function.DoubleBinaryOperator f) {
        int n = (int) Tensor.numel(os);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            int[] c = coords(i, os);
            r[i] = (float) f.applyAsDouble(a[bidx(c, as)], b[bidx(c, bs)]);
        }
        return r;
    }

    @Test
    void binaryOpsSameShapeAllSizes() {
        for (B op : BINARY) {
            for (int n : SIZES) {
                float[] a = uniform(n + 11, n, -4, 4), b = awayFromZero(n + 12, n, -4, 4, 0.01);
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) ref[i] = (float) op.ref.applyAsDouble(a[i], b[i]);
                try (var _ = TensorScope.open()) {
                    if (op.atol == 0 && op.rtol == 0) assertExact(ref, op.op.apply(tensor(a, n), tensor(b, n)), op.name + " n=" + n);
                    else assertClose(ref, op.op.apply(tensor(a, n), tensor(b, n)), op.atol, op.rtol, op.name + " n=" + n);
                    assertClose(ref, op.op.apply(steppedView(a), tensor(b, n)), op.atol, op.rtol, op.name + " stepped a n=" + n);
                    assertClose(ref, op.op.apply(tensor(a, n), steppedView(b)), op.atol, op.rtol, op.name + " stepped b n=" + n);
                }
            }
        }
    }

    @Test
    void binaryOpsBroadcastAndNonContiguous() {
        int[][][] cases = {
            {{5, 1, 7}, {3, 1}, {5, 3, 7}},
            {{7}, {4, 3, 7}, {4, 3, 7}},
            {{}, {2, 9}, {2, 9}},
            {{6, 1}, {}, {6, 1}},
            {{1, 20000}, {3, 1}, {3, 20000}},        // long inner runs, chunked across threads
            {{33, 1}, {1, 1000}, {33, 1000}},
        };
        for (B op : BINARY) {
            for (int[][] c : cases) {
                int na = (int) Tensor.numel(c[0]), nb = (int) Tensor.numel(c[1]);
                float[] a = uniform(na, na, -4, 4), b = awayFromZero(nb + 3, nb, -4, 4, 0.01);
                double[] ref = broadcastRef(a, c[0], b, c[1], c[2], op.ref);
                try (var _ = TensorScope.open()) {
                    Tensor r = op.op.apply(tensor(a, c[0]), tensor(b, c[1]));
                    assertShape(r, c[2]);
                    assertClose(ref, r, op.atol, op.rtol, op.name + " " + java.util.Arrays.deepToString(c));
                    // swapped operand order must give the swapped reference
                    Tensor r2 = op.op.apply(tensor(b, c[1]), tensor(a, c[0]));
                    double[] ref2 = broadcastRef(b, c[1], a, c[0], c[2], op.ref);
                    assertClose(ref2, r2, op.atol, op.rtol, op.name + " swapped " + java.util.Arrays.deepToString(c));
                }
            }
        }
        // a transposed operand against a broadcast row
        float[] a = uniform(1, 35, -2, 2), b = uniform(2, 5, -2, 2);
        Tensor at = transposedView(a, 7, 5);
        double[] ref = new double[35];
        for (int i = 0; i < 35; i++) ref[i] = a[i] * b[i % 5];
        assertExact(ref, at.mul(tensor(b, 5)), "transposed * row");
        // expanded (stride 0) on both sides
        Tensor ea = tensor(new float[] {1, 2}, 2, 1).expand(2, 3);
        Tensor eb = tensor(new float[] {10, 20, 30}, 1, 3).expand(2, 3);
        assertArrayEquals(new float[] {11, 21, 31, 12, 22, 32}, ea.add(eb).toFloatArray());
    }

    @Test
    void scalarTensorDoesNotWiden16BitTensors() {
        Tensor x = tensor(new float[] {1, 2, 3}, 3).to(DType.BF16);
        assertEquals(DType.BF16, x.mul(Tensor.scalar(2)).dtype());
        assertEquals(DType.BF16, Tensor.scalar(2).mul(x).dtype());
        assertEquals(DType.F32, x.mul(tensor(new float[] {2, 2, 2}, 3)).dtype());
        assertArrayEquals(new float[] {2, 4, 6}, x.mul(Tensor.scalar(2)).toFloatArray());
    }

    @Test
    void mixedDtypePromotion() {
        Tensor f = tensor(new float[] {0.5f, 1.5f}, 2);
        Tensor i32 = Tensor.fromArray(new int[] {2, 3}, 2);
        Tensor i64 = Tensor.fromArray(new long[] {10, 20}, 2);
        Tensor u8 = Tensor.fromArray(new byte[] {1, (byte) 200}, 2);
        assertEquals(DType.F32, f.add(i64).dtype());
        assertArrayEquals(new float[] {10.5f, 21.5f}, f.add(i64).toFloatArray());
        assertEquals(DType.I64, i32.add(i64).dtype());
        assertArrayEquals(new long[] {12, 23}, i32.add(i64).toLongArray());
        assertEquals(DType.I32, i32.mul(u8).dtype());
        assertArrayEquals(new int[] {2, 600}, i32.mul(u8).toIntArray());
        assertEquals(DType.F32, f.to(DType.BF16).add(f.to(DType.F16)).dtype());
        assertArrayEquals(new float[] {1, 3}, f.to(DType.BF16).add(f.to(DType.F16)).toFloatArray());
    }

    @Test
    void integerArithmeticIsExactBeyond2pow53() {
        long big = (1L << 53) + 1;
        Tensor a = Tensor.fromArray(new long[] {big, -big, Long.MAX_VALUE - 5}, 3);
        Tensor b = Tensor.fromArray(new long[] {2, -2, 5}, 3);
        assertArrayEquals(new long[] {big + 2, -big - 2, Long.MAX_VALUE}, a.add(b).toLongArray());
        assertArrayEquals(new long[] {big - 2, -big + 2, Long.MAX_VALUE - 10}, a.sub(b).toLongArray());
        assertArrayEquals(new long[] {big * 2, big * 2, (Long.MAX_VALUE - 5) * 5}, a.mul(b).toLongArray());
        assertArrayEquals(new long[] {big, -2, Long.MAX_VALUE - 5}, a.maximum(b).toLongArray());
        // a stepped (non-contiguous) I64 view on the general path
        Tensor st = Tensor.fromArray(new long[] {big, 0, big + 2, 0}, 4).slice(0, 0, 4, 2);
        assertArrayEquals(new long[] {big + 1, big + 3}, st.add(Tensor.fromArray(new long[] {1}, 1)).toLongArray());
    }

    @Test
    void integerComparisonsAreExactBeyond2pow53() {
        long big = 1L << 53;
        Tensor a = Tensor.fromArray(new long[] {big, big + 1, big + 1, Long.MAX_VALUE}, 4);
        Tensor b = Tensor.fromArray(new long[] {big + 1, big, big + 1, Long.MAX_VALUE - 1}, 4);
        assertArrayEquals(new long[] {0, 0, 1, 0}, a.eq(b).toLongArray(), "eq");
        assertArrayEquals(new long[] {1, 1, 0, 1}, a.ne(b).toLongArray(), "ne");
        assertArrayEquals(new long[] {1, 0, 0, 0}, a.lt(b).toLongArray(), "lt");
        assertArrayEquals(new long[] {1, 0, 1, 0}, a.le(b).toLongArray(), "le");
        assertArrayEquals(new long[] {0, 1, 0, 1}, a.gt(b).toLongArray(), "gt");
        assertArrayEquals(new long[] {0, 1, 1, 1}, a.ge(b).toLongArray(), "ge");
    }

    @Test
    void comparisonsProduceU8() {
        for (int n : SIZES) {
            float[] a = uniform(n, n, -2, 2), b = uniform(n + 1, n, -2, 2);
            // some exact ties
            for (int i = 0; i < n; i += 3) b[i] = a[i];
            Tensor ta = tensor(a, n), tb = tensor(b, n);
            String[] names = {"eq", "ne", "lt", "le", "gt", "ge"};
            Tensor[] got = {ta.eq(tb), ta.ne(tb), ta.lt(tb), ta.le(tb), ta.gt(tb), ta.ge(tb)};
            for (int k = 0; k < 6; k++) {
                assertEquals(DType.U8, got[k].dtype());
                long[] g = got[k].toLongArray();
                for (int i = 0; i < n; i++) {
                    boolean e = switch (k) {
                        case 0 -> a[i] == b[i];
                        case 1 -> a[i] != b[i];
                        case 2 -> a[i] < b[i];
                        case 3 -> a[i] <= b[i];
                        case 4 -> a[i] > b[i];
                        default -> a[i] >= b[i];
                    };
                    assertEquals(e ? 1 : 0, g[i], names[k] + " n=" + n + " i=" + i);
                }
            }
        }
        Tensor nan = tensor(new float[] {Float.NaN, 1}, 2);
        assertArrayEquals(new long[] {0, 1}, nan.eq(nan).toLongArray());
        assertArrayEquals(new long[] {1, 0}, nan.ne(nan).toLongArray());
        assertArrayEquals(new long[] {0, 1}, nan.ge(1).toLongArray());
    }

    @Test
    void scalarComparisonsOnIntegerTensorsUseTheExactValue() {
        Tensor i = Tensor.fromArray(new long[] {1, 2, 3}, 3);
        assertArrayEquals(new long[] {1, 1, 0}, i.lt(2.5).toLongArray(), "lt 2.5");
        assertArrayEquals(new long[] {0, 0, 1}, i.gt(2.5).toLongArray(), "gt 2.5");
        assertArrayEquals(new long[] {0, 0, 0}, i.eq(2.5).toLongArray(), "eq 2.5");
        assertArrayEquals(new long[] {1, 1, 1}, i.ne(2.5).toLongArray(), "ne 2.5");
        assertArrayEquals(new long[] {0, 1, 0}, i.eq(2).toLongArray(), "eq 2");
        assertArrayEquals(new long[] {0, 0, 1}, Tensor.fromArray(new int[] {1, 2, 3}, 3).ge(2.01).toLongArray(), "I32 ge 2.01");
        assertArrayEquals(new long[] {0, 1, 1}, Tensor.fromArray(new byte[] {0, 1, 2}, 3).gt(0.5).toLongArray(), "U8 gt 0.5");
    }

    @Test
    void whereBroadcastsAndPromotes() {
        int n = 20011;
        float[] c = uniform(1, n, 0, 1), a = uniform(2, n, -1, 1);
        byte[] cb = new byte[n];
        for (int i = 0; i < n; i++) cb[i] = (byte) (c[i] > 0.5 ? 1 : 0);
        Tensor cond = Tensor.fromArray(cb, n);
        Tensor r = Tensor.where(cond, tensor(a, n), Tensor.scalar(-7));
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = cb[i] != 0 ? a[i] : -7;
        assertExact(ref, r, "where");
        // cond [3,1], a [1,4] (I64), b [3,4] (F32): result F32 [3,4]
        Tensor c2 = Tensor.fromArray(new byte[] {1, 0, 1}, 3, 1);
        Tensor a2 = Tensor.fromArray(new long[] {1, 2, 3, 4}, 1, 4);
        Tensor b2 = rnd(3, 3, 4);
        Tensor r2 = Tensor.where(c2, a2, b2);
        assertEquals(DType.F32, r2.dtype());
        float[] bv = b2.toFloatArray(), rv = r2.toFloatArray();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) assertEquals(i == 1 ? bv[i * 4 + j] : j + 1, rv[i * 4 + j]);
        // a non-U8 condition means "non-zero"
        Tensor r3 = Tensor.where(tensor(new float[] {0, 2, -1}, 3), Tensor.scalar(1), Tensor.scalar(0));
        assertArrayEquals(new float[] {0, 1, 1}, r3.toFloatArray());
        // integer-only where stays integer and exact
        long big = (1L << 60) + 3;
        Tensor r4 = Tensor.where(Tensor.fromArray(new byte[] {1, 0}, 2), Tensor.fromArray(new long[] {big, big}, 2), Tensor.fromArray(new long[] {1, 2}, 2));
        assertArrayEquals(new long[] {big, 2}, r4.toLongArray());
    }

    @Test
    void maskedFill() {
        Tensor x = rnd(4, 4, 5).t();          // non-contiguous [5, 4]
        float[] xv = x.toFloatArray();
        Tensor mask = tensor(new float[] {1, 0, 0, 1}, 4).ne(0);   // broadcast over rows
        float[] r = x.maskedFill(mask, Double.NEGATIVE_INFINITY).toFloatArray();
        for (int i = 0; i < 20; i++) assertEquals(i % 4 == 0 || i % 4 == 3 ? Float.NEGATIVE_INFINITY : xv[i], r[i]);
        Tensor b = x.to(DType.BF16).maskedFill(mask, 3);
        assertEquals(DType.BF16, b.dtype());
        assertEquals(3f, b.toFloatArray()[0]);
    }

    @Test
    void shapeMismatchAndDeviceErrors() {
        Tensor a = Tensor.zeros(3), b = Tensor.zeros(4);
        var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("do not broadcast"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).mul(Tensor.zeros(3, 2)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.where(Tensor.zeros(DType.U8, 2), Tensor.zeros(3), Tensor.zeros(3)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).addInPlace(Tensor.zeros(3)));
        // in-place cannot grow the destination through broadcasting
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(1, 3).addInPlace(Tensor.zeros(2, 3)));
    }

    // ---- in place ------------------------------------------------------------------------------

    @Test
    void inPlaceOpsWithBroadcastOnStridedViews() {
        float[] base = uniform(7, 6 * 8, -2, 2);
        Tensor t = tensor(base.clone(), 6, 8);
        Tensor col = t.narrow(1, 2, 3);                  // [6, 3] non-contiguous window
        float[] row = {1, 2, 3};
        col.addInPlace(tensor(row, 3));
        double[] ref = d(base);
        for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) ref[i * 8 + 2 + j] = base[i * 8 + 2 + j] + row[j];
        assertExact(ref, t, "addInPlace window");
        col.mulInPlace(tensor(new float[] {2}, 1));
        for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) ref[i * 8 + 2 + j] = (float) (ref[i * 8 + 2 + j] * 2);
        assertExact(ref, t, "mulInPlace window");
        col.subInPlace(tensor(new float[] {1, 1, 1, 1, 1, 1}, 6, 1));
        for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) ref[i * 8 + 2 + j] = (float) (ref[i * 8 + 2 + j] - 1);
        assertExact(ref, t, "subInPlace window");
        col.divInPlace(tensor(new float[] {4}, 1));
        for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) ref[i * 8 + 2 + j] = (float) (ref[i * 8 + 2 + j] / 4);
        assertExact(ref, t, "divInPlace window");
        col.affineInPlace(-2, 0.5);
        for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) ref[i * 8 + 2 + j] = (float) (ref[i * 8 + 2 + j] * -2 + 0.5);
        assertExact(ref, t, "affineInPlace window");
        t.slice(0, 1, 6, 2).fill(9);
        for (int i = 1; i < 6; i += 2) for (int j = 0; j < 8; j++) ref[i * 8 + j] = 9;
        assertExact(ref, t, "fill stepped rows");
        t.narrow(0, 0, 1).zero();
        for (int j = 0; j < 8; j++) ref[j] = 0;
        assertExact(ref, t, "zero row");
    }

    @Test
    void inPlaceLargeAndDtypeConverting() {
        int n = 40009;
        float[] a = uniform(1, n, -1, 1), b = uniform(2, n, -1, 1);
        Tensor t = tensor(a.clone(), n);
        t.addInPlace(tensor(b, n));
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = a[i] + b[i];
        assertExact(ref, t, "large addInPlace");
        // BF16 destination, F32 source: result rounded to bf16
        Tensor h = tensor(a, n).to(DType.BF16);
        float[] hv = h.toFloatArray();
        h.addInPlace(tensor(b, n));
        float[] got = h.toFloatArray();
        for (int i = 0; i < n; i++) {
            float bfB = DType.bf16ToFloat(DType.floatToBf16(b[i]));
            float exp = DType.bf16ToFloat(DType.floatToBf16(hv[i] + bfB));
            assertEquals(exp, got[i], "bf16 addInPlace " + i);
        }
        // copyFrom broadcasts and converts into a transposed view
        Tensor dst = Tensor.zeros(4, 3);
        dst.t().copyFrom(Tensor.fromArray(new long[] {1, 2, 3, 4}, 4));
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, dst.toFloatArray());
    }

    @Test
    void inPlaceRefusedOnTensorsThatRequireGrad() {
        Tensor p = Tensor.ones(3).requiresGrad(true);
        var e = assertThrows(IllegalStateException.class, () -> p.addInPlace(Tensor.ones(3)));
        assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> p.fill(2));
        assertThrows(IllegalStateException.class, () -> p.mul(2).affineInPlace(1, 1));
        try (var _ = GradMode.noGrad()) {
            p.addInPlace(Tensor.ones(3));
        }
        assertArrayEquals(new float[] {2, 2, 2}, p.toFloatArray());
    }
}
