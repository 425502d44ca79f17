package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorMath#laneSum} adds the lanes in its documented fixed order, bit for bit, in the
 * interpreter and after C2 has compiled it (the loop runs long enough for both); runs in both
 * vector shapes (tensor/pom.xml's avx2-shape execution).
 */
class VectorLaneSumTest {
    @Test void foldsInTheDocumentedOrderInEveryTier() {
        int v = GemmDecode.V;
        SplittableRandom rng = new SplittableRandom(3);
        float[] lanes = new float[v];
        for (int round = 0; round < 200_000; round++) {
            for (int i = 0; i < v; i++) lanes[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-3, 4)));
            float want = expected(lanes);
            float got = VectorMath.laneSum(FloatVector.fromArray(GemmDecode.F, lanes, 0));
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                assertEquals(want, got, 0f, "round " + round);
            }
        }
    }

    /** The fold in scalar code: halves (16 lanes), quarters (8 lanes), then (q0 + q2) + (q1 + q3). */
    private static float expected(float[] x) {
        float[] h = x;
        if (h.length == 16) {
            float[] r = new float[8];
            for (int i = 0; i < 8; i++) r[i] = h[i] + h[i + 8];
            h = r;
        }
        float[] q = h;
        if (q.length == 8) {
            float[] r = new float[4];
            for (int i = 0; i < 4; i++) r[i] = q[i] + q[i + 4];
            q = r;
        }
        return (q[0] + q[2]) + (q[1] + q[3]);
    }
}
