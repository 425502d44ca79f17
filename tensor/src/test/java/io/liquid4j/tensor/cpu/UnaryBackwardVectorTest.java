package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The f32 vector path of unary backward against the scalar definition ({@link UnaryOp#derivative}
 * in double) on lengths that leave a tail, random and edge inputs (zeros, the clamp bounds,
 * large magnitudes, NaN). Runs in both vector shapes (tensor/pom.xml's avx2-shape execution).
 */
class UnaryBackwardVectorTest {
    private static final int N = 16 * 37 + 13;

    @Test
    void everyVectorOpMatchesTheScalarDerivative() {
        SplittableRandom rng = new SplittableRandom(5);
        for (UnaryOp op : UnaryOp.values()) {
            double p = op == UnaryOp.CLAMP ? -0.5 : op == UnaryOp.AFFINE ? 1.75 : op == UnaryOp.POW ? 3 : 0;
            double q = op == UnaryOp.CLAMP ? 0.5 : op == UnaryOp.AFFINE ? -2 : 0;
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            float[] x = new float[N], g = new float[N];
            for (int i = 0; i < N; i++) {
                double v = switch (i % 11) {
                    case 0 -> 0;
                    case 1 -> p;
                    case 2 -> q;
                    case 3 -> 30 * (rng.nextBoolean() ? 1 : -1);
                    default -> rng.nextGaussian() * 3;
                };
                x[i] = (float) (positive ? Math.abs(v) + 1e-3 : v);
                g[i] = (float) rng.nextGaussian();
            }
            x[N - 2] = Float.NaN;
            float[] y = new float[N];
            for (int i = 0; i < N; i++) y[i] = (float) op.apply(x[i], p, q);
            Tensor gi = Tensor.empty(io.liquid4j.tensor.DType.F32, N);
            CpuElementwise.unaryBackward(op, Tensor.fromArray(x, N), Tensor.fromArray(y, N), Tensor.fromArray(g, N), gi, p, q);
            float[] got = gi.toFloatArray();
            for (int i = 0; i < N; i++) {
                double want = (float) (g[i] * op.derivative(x[i], y[i], p, q));
                if (Double.isNaN(want)) {
                    assertTrue(Float.isNaN(got[i]), op + " at x " + x[i] + ": want NaN");
                    continue;
                }
                double tol = 2e-6 * Math.max(1, Math.abs(want)) + 1e-6 * Math.abs(g[i]);
                assertEquals(want, got[i], tol, op + " at x " + x[i]);
            }
        }
    }
}
