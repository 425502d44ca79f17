package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Quantized weights: the format round trip within its error bound, and the GEMV kernels (in the
 * JVM's preferred vector shape; the build runs the CPU kernel tests again under
 * -XX:MaxVectorSize=32, AVX2's 8 float lanes) against
 * dequantize + F32 dot products, on random and adversarial blocks: all-zero blocks, codes at
 * ±127 / 0 / 15, subnormal and negative F16 scales, row counts that leave a tail of 1-3 rows.
 */
class QuantGemvTest {
    /** A weight with random codes and scales, some blocks adversarial. */
    static QuantizedWeight adversarial(QuantFormat fmt, int n, int k, long seed) {
        Random r = new Random(seed);
        int blocks = k / QuantFormat.BLOCK, rowBytes = (int) fmt.rowBytes(k);
        byte[] codes = new byte[n * rowBytes], scales = new byte[2 * n * blocks];
        for (int row = 0; row < n; row++) {
            for (int b = 0; b < blocks; b++) {
                int kind = r.nextInt(6);
                short s = switch (kind) {
                    case 0 -> 0;                                               // all-zero scale
                    case 1 -> (short) (1 + r.nextInt(0x3ff));                  // subnormal
                    case 2 -> (short) (0x8000 | Float.floatToFloat16((float) r.nextDouble()));   // negative
                    default -> Float.floatToFloat16((float) (r.nextGaussian() * 0.05));
                };
                int si = 2 * (row * blocks + b);
                scales[si] = (byte) s;
                scales[si + 1] = (byte) (s >> 8);
                int bytesPerBlock = QuantFormat.BLOCK * fmt.bits() / 8;
                for (int j = 0; j < bytesPerBlock; j++) {
                    int at = row * rowBytes + b * bytesPerBlock + j;
                    codes[at] = switch (kind) {
                        case 3 -> (byte) (j % 2 == 0 ? 127 : -127);            // extremes (Q4: nibbles 15 and 1)
                        case 4 -> fmt == QuantFormat.Q8_0 ? (byte) -128 : (byte) 0x0F;   // -128 / nibbles 15 and 0
                        default -> (byte) r.nextInt(256);
                    };
                }
            }
        }
        return new QuantizedWeight(fmt, Tensor.fromArray(codes, n, rowBytes), Tensor.fromBytes(scales, DType.F16, Device.CPU, n, blocks), n, k);
    }

    static float[] reference(float[] x, int m, float[] w, int n, int k) {
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x[i * k + p] * w[j * k + p];
                out[i * n + j] = (float) s;
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void kernelsOfBothShapesMatchDequantizedDots(QuantFormat fmt) {
        try (var _ = TensorScope.open()) {
            for (int[] shape : new int[][] {{1, 7, 64}, {3, 12, 96}, {8, 33, 256}, {2, 4, 32}, {7, 9, 160}, {4, 5, 64}, {5, 3, 64}, {12, 6, 96}}) {
                int m = shape[0], n = shape[1], k = shape[2];
                QuantizedWeight w = adversarial(fmt, n, k, n * 31L + k);
                float[] wd = w.dequantize().toFloatArray();
                Random r = new Random(m);
                float[] x = new float[m * k];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                float[] want = reference(x, m, wd, n, k);
                {
                    Tensor out = Tensor.zeros(m, n);
                    QuantGemv.multiply(Tensor.fromArray(x, m, k), w, out);
                    float[] got = out.toFloatArray();
                    double scale = 0;
                    for (float v : want) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-5 * (scale + 1e-30) + 1e-6 * Math.abs(want[i]),
                                fmt + " " + QuantGemv.lanes() + " lanes m=" + m + " n=" + n + " k=" + k + " [" + i + "]");
                    }
                }
            }
        }
    }

    /** A row's dot has the same bits whether a four-row loop or the one-row / pairs loop took it (n leaves a tail of 3). */
    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void oneRowDecodeGivesTheSameBitsInEveryRowGroup(QuantFormat fmt) {
        try (var _ = TensorScope.open()) {
            int n = 11, k = 192, nb = k / QuantFormat.BLOCK;
            QuantizedWeight w = adversarial(fmt, n, k, 77);
            Random r = new Random(5);
            float[] x = new float[k];
            for (int i = 0; i < k; i++) x[i] = (float) r.nextGaussian();
            Tensor out = Tensor.zeros(1, n);
            QuantGemv.multiply(Tensor.fromArray(x, 1, k), w, out);
            float[] got = out.toFloatArray();
            var codes = CpuElementwise.seg(w.codes());
            var scales = CpuElementwise.seg(w.scales());
            boolean lanes8 = QuantGemv.lanes() == 8;
            float[] xq = !lanes8 ? x : fmt == QuantFormat.Q8_0 ? QuantGemv.quads(x.clone(), 1, k) : QuantGemv.nibbles(x.clone(), 1, k);
            float[] wd = w.scales().toFloatArray(), park = new float[QuantGemv.pairOut()];
            for (int j = 0; j < n; j++) {
                long c = w.codes().offset() + j * fmt.rowBytes(k), s = w.scales().offset() * 2L + 2L * j * nb;
                float[] d = java.util.Arrays.copyOfRange(wd, j * nb, (j + 1) * nb);
                float one = fmt == QuantFormat.Q8_0
                        ? (lanes8 ? QuantGemv.q8LanesRow(xq, 0, codes, c, scales, s, k, park) : QuantGemv.q8Row(x, 0, codes, c, scales, s, k, park))
                        : (lanes8 ? QuantGemv.q4LanesRow(xq, 0, codes, c, d, k, park) : QuantGemv.q4Row(x, 0, codes, c, d, k, park));
                assertEquals(Float.floatToRawIntBits(one), Float.floatToRawIntBits(got[j]), fmt + " row " + j + " of " + n + ", " + QuantGemv.lanes() + " lanes");
            }
            // two x rows (a CFG pair) against the pairs loop
            float[] x2 = new float[2 * k];
            for (int i = 0; i < x2.length; i++) x2[i] = (float) r.nextGaussian();
            Tensor out2 = Tensor.zeros(2, n);
            QuantGemv.multiply(Tensor.fromArray(x2, 2, k), w, out2);
            float[] got2 = out2.toFloatArray();
            float[] x2q = !lanes8 ? x2 : fmt == QuantFormat.Q8_0 ? QuantGemv.quads(x2.clone(), 2, k) : QuantGemv.nibbles(x2.clone(), 2, k);
            float[] two = new float[QuantGemv.pairOut()];
            for (int j = 0; j < n; j++) {
                long c = w.codes().offset() + j * fmt.rowBytes(k), s = w.scales().offset() * 2L + 2L * j * nb;
                float[] d = java.util.Arrays.copyOfRange(wd, j * nb, (j + 1) * nb);
                if (fmt == QuantFormat.Q8_0 && lanes8) QuantGemv.q8LanesRow2(x2q, 0, k, codes, c, scales, s, k, two);
                else if (fmt == QuantFormat.Q8_0) QuantGemv.q8Row2(x2, 0, k, codes, c, scales, s, k, two);
                else if (lanes8) QuantGemv.q4LanesRow2(x2q, 0, k, codes, c, d, k, two);
                else QuantGemv.q4Row2(x2, 0, k, codes, c, d, k, two);
                for (int i = 0; i < 2; i++) {
                    assertEquals(Float.floatToRawIntBits(two[i]), Float.floatToRawIntBits(got2[i * n + j]), "x row " + i + ", row " + j + " of " + n + ", " + QuantGemv.lanes() + " lanes");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void vectorisedDequantizeMatchesTheScalarOne(QuantFormat fmt) {
        try (var _ = TensorScope.open()) {
            QuantizedWeight w = adversarial(fmt, 13, 96, 77);
            Tensor out = Tensor.zeros(13, 96);
            QuantGemv.dequantize(w, out);
            org.junit.jupiter.api.Assertions.assertArrayEquals(w.dequantize().toFloatArray(), out.toFloatArray());
        }
    }

    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void roundTripStaysWithinTheFormatsError(QuantFormat fmt) {
        try (var _ = TensorScope.open()) {
            Random r = new Random(4);
            int n = 9, k = 128;
            float[] w = new float[n * k];
            for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 3 : 0.02));
            for (int i = 0; i < QuantFormat.BLOCK; i++) w[i] = 0;                       // an all-zero block
            QuantizedWeight q = QuantizedWeight.quantize(Tensor.fromArray(w, n, k), fmt);
            float[] d = q.dequantize().toFloatArray();
            float[] s = q.scales().toFloatArray();
            for (int i = 0; i < w.length; i++) {
                double step = Math.abs(s[i / QuantFormat.BLOCK]);
                double bound = fmt == QuantFormat.Q8_0 ? 0.5 * step + Math.abs(w[i]) * 1e-3 : step;   // Q4: the +8·d end clamps to 7·d
                assertTrue(Math.abs(d[i] - w[i]) <= bound + 1e-12, fmt + " element " + i + ": " + w[i] + " -> " + d[i] + " (scale " + step + ")");
            }
            assertEquals(0f, d[5]);
        }
    }

    @ParameterizedTest
    @EnumSource(QuantFormat.class)
    void linearOpDecodeAndPrefillAgree(QuantFormat fmt) {
        try (var _ = TensorScope.open()) {
            Tensor wf = Tensor.randn(new io.liquid4j.tensor.Generator(2), 40, 64).mul(0.1);
            QuantizedWeight q = QuantizedWeight.quantize(wf, fmt);
            Tensor wd = q.dequantize();
            Tensor x = Tensor.randn(new io.liquid4j.tensor.Generator(3), 2, 40, 64);   // 80 rows: the dequantize + GEMM path
            Tensor bias = Tensor.randn(new io.liquid4j.tensor.Generator(4), 40);
            float[] want = F.linear(x, wd, bias).toFloatArray(), prefill = F.linear(x, q, bias).toFloatArray();
            float[] decode = F.linear(x.narrow(1, 0, 1), q, bias).toFloatArray();   // 2 rows: the GEMV
            for (int i = 0; i < want.length; i++) assertEquals(want[i], prefill[i], 1e-4 * (1 + Math.abs(want[i])));
            for (int j = 0; j < 40; j++) {
                assertEquals(want[j], decode[j], 1e-4 * (1 + Math.abs(want[j])));
                assertEquals(want[40 * 40 + j], decode[40 + j], 1e-4 * (1 + Math.abs(want[40 * 40 + j])));
            }
        }
    }

    @Test
    void gradientFlowsToTheInputThroughTheDequantizedWeight() {
        try (var _ = TensorScope.open()) {
            QuantizedWeight q = QuantizedWeight.quantize(Tensor.randn(new io.liquid4j.tensor.Generator(5), 6, 32), QuantFormat.Q8_0);
            Tensor x = Tensor.randn(new io.liquid4j.tensor.Generator(6), 3, 32).requiresGrad(true);
            F.linear(x, q, null).sum().backward();
            float[] want = Tensor.ones(3, 6).matmul(q.dequantize()).toFloatArray(), got = x.grad().toFloatArray();
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5);
        }
    }

    @Test
    void badShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(Tensor.zeros(4, 33), QuantFormat.Q8_0), "k not a multiple of 32");
        assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(Tensor.fromArray(new float[] {Float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 32), QuantFormat.Q4_0), "NaN weight");
        assertThrows(IllegalArgumentException.class, () -> new QuantizedWeight(QuantFormat.Q4_0, Tensor.zeros(DType.U8, 2, 32), Tensor.zeros(DType.F16, 2, 1), 2, 32),
                "Q4_0 codes must be k/2 bytes per row");
        QuantizedWeight q = QuantizedWeight.quantize(Tensor.zeros(2, 32), QuantFormat.Q8_0);
        assertThrows(IllegalArgumentException.class, () -> F.linear(Tensor.zeros(1, 31), q, null), "input features");
        assertEquals("q4_0", QuantFormat.parse("Q4_0").id());
        assertThrows(IllegalArgumentException.class, () -> QuantFormat.parse("q5_k"));
    }
}
