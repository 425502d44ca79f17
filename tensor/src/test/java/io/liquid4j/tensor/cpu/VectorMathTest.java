package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The deterministic vector exp/tanh against Math, over the whole float range that matters. */
class VectorMathTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private static float[] apply(boolean tanh, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += L) {
            FloatVector v = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i);
            (tanh ? VectorMath.tanh(v) : VectorMath.exp(v)).intoArray(out, i);
        }
        return out;
    }

    /** The largest |y − f(x)| over the inputs, in ulps of the float nearest f(x). */
    private static double worstUlps(float[] y, float[] x, java.util.function.DoubleUnaryOperator f) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = f.applyAsDouble(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
        }
        return worst;
    }

    @Test
    void expIsWithinTwoUlpsEverywhere() {
        int n = 1 << 16;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87f + 175.7f * i / n;   // normal results; subnormal ones are checked below
        double worst = worstUlps(apply(false, x), x, Math::exp);
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
    }

    @Test
    void expSpecialValues() {
        float[] x = new float[L];
        float[] special = {0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -100f, 100f, 88.7f, -87.3f};
        for (int i = 0; i < L; i++) x[i] = special[i % special.length];
        float[] y = apply(false, x);
        for (int i = 0; i < L; i++) {
            float want = (float) Math.exp(x[i]);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(y[i]));
            else if (x[i] == 88.7f || x[i] == -87.3f) assertEquals(want, y[i], 2 * Math.ulp(want), "x " + x[i]);
            else if (x[i] == -100f) assertEquals(want, y[i], 2 * Float.MIN_VALUE, "subnormal result");
            else assertEquals(want, y[i], 0f, "x " + x[i]);
        }
    }

    @Test
    void expScoreIsExpOnItsRangeAndZeroBelow() {
        int n = 1 << 16;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = VectorMath.SCORE_LO + (88f - VectorMath.SCORE_LO) * i / n;
        float[] want = apply(false, x), got = new float[n];
        for (int i = 0; i < n; i += L) VectorMath.expScore(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(got, i);
        for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "x " + x[i]);
        float[] special = {Float.NEGATIVE_INFINITY, -1e30f, -200f, -103f, -87.34f, Float.NaN, -0f, -1e-30f};
        float[] s = new float[L], y = new float[L];
        for (int i = 0; i < L; i++) s[i] = special[i % special.length];
        VectorMath.expScore(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, s, 0)).intoArray(y, 0);
        for (int i = 0; i < L; i++) {
            if (Float.isNaN(s[i])) assertTrue(Float.isNaN(y[i]));
            else if (s[i] < VectorMath.SCORE_LO) assertEquals(0f, y[i], 0f, "x " + s[i]);
            else assertEquals(1f, y[i], 0f, "x " + s[i]);
        }
    }

    @Test
    void tanhIsCloseInAbsoluteTerms() {
        int n = 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -20f + 40f * i / n;
        float[] y = apply(true, x);
        for (int i = 0; i < n; i++) assertEquals(Math.tanh(x[i]), y[i], 2e-7, "x " + x[i]);
    }

    @Test
    void tanhIsCloseInRelativeTermsNearZero() {
        int n = 1 << 14;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float m = (float) Math.pow(10, -12 + 12.0 * (i / 2) / (n / 2));   // 1e-12 .. 1 on a log scale, both signs
            x[i] = i % 2 == 0 ? m : -m;
        }
        double worst = worstUlps(apply(true, x), x, Math::tanh);
        assertTrue(worst <= 3, "worst error " + worst + " ulp");
        float[] nan = new float[L];
        java.util.Arrays.fill(nan, Float.NaN);
        for (float v : apply(true, nan)) assertTrue(Float.isNaN(v));
    }
}
