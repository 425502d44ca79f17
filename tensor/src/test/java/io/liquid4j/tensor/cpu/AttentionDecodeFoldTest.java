package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The decode attention's four-key fold ({@link AttentionDecode#fold4}) gives each key's score
 * exactly as {@link VectorMath#laneSum} would, bit for bit, in the interpreter and after C2 has
 * compiled it: magnitudes over seven decades, so a changed order of additions shows. Runs in
 * both vector shapes (tensor/pom.xml's avx2-shape execution).
 */
class AttentionDecodeFoldTest {
    @Test void foldsFourKeysAsFourLaneSums() {
        int v = GemmDecode.V;
        SplittableRandom rng = new SplittableRandom(5);
        float[][] keys = new float[4][v];
        float[] got = new float[v];
        for (int round = 0; round < 100_000; round++) {
            for (float[] k : keys) {
                for (int i = 0; i < v; i++) k[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-3, 4)));
            }
            FloatVector[] s = new FloatVector[4];
            for (int r = 0; r < 4; r++) s[r] = FloatVector.fromArray(GemmDecode.F, keys[r], 0);
            AttentionDecode.fold4(s[0], s[1], s[2], s[3]).intoArray(got, 0);
            for (int r = 0; r < 4; r++) {
                float want = VectorMath.laneSum(s[r]);
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[r])) {
                    assertEquals(want, got[r], 0f, "round " + round + ", key " + r);
                }
            }
        }
    }
}
