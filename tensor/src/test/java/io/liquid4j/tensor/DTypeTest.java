package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DTypeTest {
    // ---- independent references ----------------------------------------------------------------

    /** Exact value of a bf16 pattern, decoded from its fields (not from the f32 bit trick). */
    static double bf16Value(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 7) & 0xFF, man = bits & 0x7F;
        double v;
        if (exp == 0xFF) return man == 0 ? (sign == 1 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.NaN;
        if (exp == 0) v = man * Math.pow(2, -126 - 7);
        else v = (1 + man / 128.0) * Math.pow(2, exp - 127);
        return sign == 1 ? -v : v;
    }

    static double f16Value(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1F, man = bits & 0x3FF;
        double v;
        if (exp == 0x1F) return man == 0 ? (sign == 1 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.NaN;
        if (exp == 0) v = man * Math.pow(2, -14 - 10);
        else v = (1 + man / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    /**
     * Round-to-nearest-even of f into a format whose non-negative patterns are ordered by value:
     * picks between the two neighbouring patterns by exact (BigDecimal) distance.
     */
    static int roundRef(float f, java.util.function.IntToDoubleFunction value, int maxFinite, int infBits) {
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
        if (Float.isInfinite(f)) return sign | infBits;
        BigDecimal a = new BigDecimal(Math.abs((double) f));
        // binary search for the largest pattern whose value ≤ |f|
        int lo = 0, hi = maxFinite;
        if (a.compareTo(new BigDecimal(value.applyAsDouble(maxFinite))) >= 0) {
            lo = maxFinite;
        } else {
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (new BigDecimal(value.applyAsDouble(mid)).compareTo(a) <= 0) lo = mid;
                else hi = mid - 1;
            }
        }
        BigDecimal below = new BigDecimal(value.applyAsDouble(lo));
        if (below.compareTo(a) == 0) return sign | lo;
        // the value above lo (for lo == maxFinite: the "next" step, which is where infinity starts)
        BigDecimal above = lo == maxFinite
                ? below.add(below.subtract(new BigDecimal(value.applyAsDouble(lo - 1))))
                : new BigDecimal(value.applyAsDouble(lo + 1));
        int c = a.subtract(below).compareTo(above.subtract(a));
        int up = lo == maxFinite ? infBits : lo + 1;
        if (c < 0) return sign | lo;
        if (c > 0) return sign | up;
        return sign | ((lo & 1) == 0 ? lo : up);
    }

    static int bf16Ref(float f) { return roundRef(f, DTypeTest::bf16Value, 0x7F7F, 0x7F80); }

    static int f16Ref(float f) { return roundRef(f, DTypeTest::f16Value, 0x7BFF, 0x7C00); }

    // ---- bf16 ----------------------------------------------------------------------------------

    @Test
    void bf16DecodeMatchesFieldFormulaForAllPatterns() {
        for (int b = 0; b < 65536; b++) {
            double e = bf16Value(b);
            float got = DType.bf16ToFloat((short) b);
            if (Double.isNaN(e)) assertTrue(Float.isNaN(got), "pattern " + b);
            else assertEquals(e, got, 0, "pattern " + Integer.toHexString(b));
        }
    }

    @Test
    void bf16RoundsToNearestEvenIncludingTiesSubnormalsAndOverflow() {
        int[] patterns = {
            0x3F800000, 0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0xBF808000, 0xBF818000,   // ties and near ties around ±1
            0x00000001, 0x00008000, 0x00018000, 0x00017FFF, 0x007FFFFF, 0x00800000, 0x80008000,   // subnormals
            0x7F7FFFFF, 0x7F7F8000, 0x7F7F7FFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x00000000, 0x80000000,
            0x4B7FFFFF, 0x3EAAAAAB, 0x477FE000,
        };
        for (int p : patterns) {
            float f = Float.intBitsToFloat(p);
            assertEquals(bf16Ref(f), DType.floatToBf16(f) & 0xFFFF, "bf16 of 0x" + Integer.toHexString(p));
        }
        Random r = new Random(1);
        for (int i = 0; i < 20000; i++) {
            // random bit patterns (all exponents) and random values near ties
            int bits = r.nextInt();
            if (i % 2 == 1) bits = (bits & 0xFFFF0000) | 0x8000 | (r.nextInt(3) - 1 == 0 ? 0 : r.nextInt(2));
            float f = Float.intBitsToFloat(bits);
            if (Float.isNaN(f)) continue;
            assertEquals(bf16Ref(f), DType.floatToBf16(f) & 0xFFFF, "bf16 of 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void bf16NaNStaysNaNWithSign() {
        int[] nans = {0x7FC00000, 0x7F800001, 0x7F80FFFF, 0x7FFFFFFF, 0xFF800001, 0xFFC00000, 0x7F810000};
        for (int p : nans) {
            short b = DType.floatToBf16(Float.intBitsToFloat(p));
            assertTrue(Float.isNaN(DType.bf16ToFloat(b)), "NaN 0x" + Integer.toHexString(p) + " -> 0x" + Integer.toHexString(b & 0xFFFF));
            assertEquals(p >>> 31, (b >> 15) & 1, "sign of NaN 0x" + Integer.toHexString(p));
        }
    }

    // ---- f16 -----------------------------------------------------------------------------------

    @Test
    void f16DecodeAndRoundTripForAllPatterns() {
        for (int b = 0; b < 65536; b++) {
            double e = f16Value(b);
            float got = DType.f16ToFloat((short) b);
            if (Double.isNaN(e)) {
                assertTrue(Float.isNaN(got));
                assertTrue(Float.isNaN(DType.f16ToFloat(DType.floatToF16(got))));
                continue;
            }
            assertEquals(e, got, 0, "f16 pattern " + Integer.toHexString(b));
            assertEquals(b, DType.floatToF16(got) & 0xFFFF, "round trip " + Integer.toHexString(b));
        }
    }

    @Test
    void f16RoundsToNearestEven() {
        // exact midpoints between neighbouring f16 values (normal, subnormal, and max→inf) and their neighbours
        for (int b = 0; b < 0x7C00; b += 7) {
            double lo = f16Value(b), hi = b == 0x7BFF ? 65536 : f16Value(b + 1);
            float mid = (float) ((lo + hi) / 2);   // exact in f32: f16 has 11 bits
            for (float f : new float[] {mid, Math.nextUp(mid), Math.nextDown(mid), -mid}) {
                assertEquals(f16Ref(f), DType.floatToF16(f) & 0xFFFF, "f16 of " + f);
            }
        }
        assertEquals(0x7BFF, DType.floatToF16(65519f) & 0xFFFF);
        assertEquals(0x7C00, DType.floatToF16(65520f) & 0xFFFF);
        assertEquals(0x0000, DType.floatToF16(0x1p-25f) & 0xFFFF, "half of the smallest subnormal ties to 0");
        assertEquals(0x0001, DType.floatToF16(Math.nextUp(0x1p-25f)) & 0xFFFF);
        assertEquals(0x0002, DType.floatToF16(0x1.8p-24f) & 0xFFFF, "1.5 ulp ties to even (2)");
        Random r = new Random(2);
        for (int i = 0; i < 20000; i++) {
            float f = (float) ((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(40) - 26));
            assertEquals(f16Ref(f), DType.floatToF16(f) & 0xFFFF, "f16 of " + f);
        }
    }

    // ---- tensor conversions --------------------------------------------------------------------

    static final DType[] ALL = DType.values();

    @Test
    void toBetweenAllSixDtypes() {
        // values exactly representable in every dtype (U8: 0..255, BF16: 8 significant bits)
        float[] v = {0, 1, 2, 3, 7, 64, 100, 128, 200, 255, 12, 96};
        for (DType from : ALL) {
            Tensor src = Tensor.fromArray(v, 3, 4).to(from);
            assertEquals(from, src.dtype());
            for (DType to : ALL) {
                Tensor dst = src.to(to);
                assertEquals(to, dst.dtype());
                assertArrayEquals(v, dst.toFloatArray(), from + " -> " + to);
                // the same through a transposed (non-contiguous) source
                assertArrayEquals(transposeF(v, 3, 4), src.t().to(to).toFloatArray(), from + " -> " + to + " (transposed)");
                long[] lv = dst.toLongArray();
                for (int i = 0; i < v.length; i++) assertEquals((long) v[i], lv[i]);
            }
        }
        Tensor same = Tensor.zeros(2);
        assertTrue(same.to(DType.F32) == same, "to(own dtype) returns the tensor itself");
    }

    static float[] transposeF(float[] x, int r, int c) {
        float[] y = new float[x.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
        return y;
    }

    @Test
    void floatToIntegerTruncatesTowardZeroAndFloatRoundingIsRne() {
        float[] v = {2.7f, -2.7f, 0.5f, -0.5f, 1e9f, -1e9f};
        assertArrayEquals(new long[] {2, -2, 0, 0, 1_000_000_000, -1_000_000_000}, Tensor.fromArray(v, 6).to(DType.I64).toLongArray());
        assertArrayEquals(new int[] {2, -2, 0, 0, 1_000_000_000, -1_000_000_000}, Tensor.fromArray(v, 6).to(DType.I32).toIntArray());
        // f32 -> bf16 / f16 tensors round exactly as the scalar conversion (vector/strided copy paths alike)
        int n = 20011;
        float[] x = uniform(3, n, -70000, 70000);
        for (int i = 0; i < n; i += 5) x[i] = Float.intBitsToFloat((Float.floatToIntBits(x[i]) & 0xFFFF0000) | 0x8000);   // exact ties
        Tensor t = Tensor.fromArray(x, n);
        short[] expB = new short[n];
        for (int i = 0; i < n; i++) expB[i] = (short) bf16Ref(x[i]);
        float[] gotB = t.to(DType.BF16).toFloatArray(), gotBs = steppedView(x).to(DType.BF16).toFloatArray();
        float[] gotH = t.to(DType.F16).toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(DType.bf16ToFloat(expB[i]), gotB[i], "bf16 " + x[i]);
            assertEquals(DType.bf16ToFloat(expB[i]), gotBs[i], "bf16 strided " + x[i]);
            assertEquals(DType.f16ToFloat((short) f16Ref(x[i])), gotH[i], "f16 " + x[i]);
        }
        // bf16 -> f16 -> f32 and back: inf and NaN survive
        Tensor special = Tensor.fromArray(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f}, 4);
        for (DType a : new DType[] {DType.BF16, DType.F16}) {
            float[] r = special.to(a).to(DType.F32).toFloatArray();
            assertEquals(Float.POSITIVE_INFINITY, r[0]);
            assertEquals(Float.NEGATIVE_INFINITY, r[1]);
            assertTrue(Float.isNaN(r[2]));
        }
        assertEquals(DType.bf16ToFloat((short) bf16Ref(1e-40f)), special.to(DType.BF16).toFloatArray()[3], "bf16 keeps f32 subnormals");
    }

    @Test
    void i64BeyondTwoPow53SurvivesEveryCopyPath() {
        long[] v = {(1L << 53) + 1, -(1L << 53) - 3, Long.MAX_VALUE, Long.MIN_VALUE, (1L << 62) + 12345, 7};
        Tensor t = Tensor.fromArray(v, 2, 3);
        assertArrayEquals(v, t.toLongArray());
        assertArrayEquals(v, t.clone().toLongArray(), "clone");
        assertArrayEquals(v, t.to(DType.I64).toLongArray(), "to(I64)");
        assertArrayEquals(v, t.reshape(3, 2).toLongArray(), "reshape");
        assertArrayEquals(v, t.t().contiguous().t().contiguous().toLongArray(), "transpose round trip");
        long[] tv = {v[0], v[3], v[1], v[4], v[2], v[5]};
        assertArrayEquals(tv, t.t().contiguous().toLongArray(), "transposed copy");
        assertArrayEquals(tv, t.t().reshape(6).toLongArray(), "reshape copy of transposed");
        assertArrayEquals(new long[] {v[0], v[2], v[4]}, t.reshape(6).slice(0, 0, 6, 2).contiguous().toLongArray(), "stepped copy");
        long[] cat = Tensor.cat(0, t, t).toLongArray();
        for (int i = 0; i < 12; i++) assertEquals(v[i % 6], cat[i], "cat");
        assertArrayEquals(new long[] {v[3], v[4], v[5], v[0], v[1], v[2]}, t.indexSelect(0, Tensor.fromArray(new long[] {1, 0}, 2)).toLongArray(), "indexSelect");
        assertArrayEquals(new long[] {v[2], v[0], v[1]}, t.indexSelect(1, Tensor.fromArray(new long[] {2, 0, 1}, 3)).select(0, 0).toLongArray(), "indexSelect dim 1");
        assertArrayEquals(new long[] {v[1], v[5]}, t.gather(1, Tensor.fromArray(new long[] {1, 2}, 2, 1)).toLongArray(), "gather");
        Tensor dst = Tensor.zeros(DType.I64, 2, 3);
        dst.copyFrom(t);
        assertArrayEquals(v, dst.toLongArray(), "copyFrom");
        Tensor bc = Tensor.zeros(DType.I64, 3, 3);
        bc.copyFrom(t.select(0, 0));
        for (int i = 0; i < 9; i++) assertEquals(v[i % 3], bc.toLongArray()[i], "broadcast copyFrom");
        long[] ex = t.narrow(0, 0, 1).expand(3, 3).contiguous().toLongArray();
        for (int i = 0; i < 9; i++) assertEquals(v[i % 3], ex[i], "expand");
        assertArrayEquals(v, Tensor.where(Tensor.ones(DType.U8, Device.CPU, 2, 3), t, Tensor.zeros(DType.I64, 1)).toLongArray(), "where");
        assertArrayEquals(new long[] {v[2], v[5]}, t.split(1, 1).get(2).contiguous().toLongArray(), "split");
        Tensor st = Tensor.stack(0, t.select(1, 0), t.select(1, 1));
        assertArrayEquals(new long[] {v[0], v[3], v[1], v[4]}, st.toLongArray(), "stack");
        // I64 <-> I32 copies keep exact values that fit; I32 item is exact beyond 2^24
        assertEquals(16_777_217, Tensor.fromArray(new int[] {16_777_217}, 1).item(), 0, "I32 item exact beyond 2^24");
        assertEquals(Integer.MAX_VALUE, Tensor.fromArray(new long[] {Integer.MAX_VALUE}, 1).to(DType.I32).item(), 0);
        assertArrayEquals(new int[] {-7, Integer.MIN_VALUE}, Tensor.fromArray(new long[] {-7, Integer.MIN_VALUE}, 2).to(DType.I32).toIntArray());
        assertEquals((1L << 53) - 1, (long) Tensor.fromArray(new long[] {(1L << 53) - 1}, 1).item());
        assertEquals(16_777_217, Tensor.fromArray(new long[] {16_777_217}, 1).to(DType.I32).get(0), 0, "get of I32 exact");
    }

    @Test
    void u8RangeAndFill() {
        Tensor u = Tensor.fromArray(new byte[] {0, 1, (byte) 128, (byte) 255}, 4);
        assertArrayEquals(new long[] {0, 1, 128, 255}, u.toLongArray());
        assertArrayEquals(new float[] {0, 1, 128, 255}, u.toFloatArray());
        assertArrayEquals(new float[] {255, 255}, Tensor.full(255, DType.U8, 2).toFloatArray());
        assertArrayEquals(new long[] {255, 0}, Tensor.fromArray(new float[] {255, 0}, 2).to(DType.U8).toLongArray());
        assertEquals(1L << 40, (long) Tensor.full(1L << 40, DType.I64, 1).item());
        assertEquals(3, Tensor.full(3.9, DType.I32, 1).item(), 0, "fill of an integer tensor truncates");
    }

    @Test
    void safetensorsNames() {
        for (DType t : ALL) assertEquals(t, DType.fromSafetensorsName(t.safetensorsName()));
        assertEquals(DType.U8, DType.fromSafetensorsName("BOOL"));
        assertEquals(null, DType.fromSafetensorsName("F64"));
        assertEquals(4, DType.F32.byteSize());
        assertEquals(2, DType.BF16.byteSize());
        assertEquals(8, DType.I64.byteSize());
        assertEquals(1, DType.U8.byteSize());
    }
}
