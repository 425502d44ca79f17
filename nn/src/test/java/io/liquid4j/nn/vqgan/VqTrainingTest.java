package io.liquid4j.nn.vqgan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/** Training a tiny VQGAN: the VQ losses, the straight-through gradient and codebook-usage statistics. */
class VqTrainingTest {
    static final VqConfig TINY = new VqConfig(4, 16, false, 4, 8, 3, 3, 32, new int[] {1, 1}, 1, new int[0], 0.0);

    /** Four 8×8 images: flat colours and a split one, in [-1, 1]. */
    static Tensor batch() {
        float[] px = new float[4 * 3 * 64];
        float[][] colours = {{-0.8f, 0.2f, 0.9f}, {0.7f, -0.5f, -0.1f}, {0.1f, 0.9f, -0.9f}};
        for (int n = 0; n < 4; n++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 64; p++) {
                    int k = n < 3 ? n : (p % 8 < 4 ? 0 : 1);
                    px[((n * 3) + c) * 64 + p] = colours[k][c];
                }
            }
        }
        return Tensor.fromArray(px, 4, 3, 8, 8);
    }

    @Test void lossFallsAndGradientsReachEncoderAndCodebook() {
        VQModel m = new VQModel(TINY, new Generator(11));
        Tensor x = batch();
        double first = 0, last = 0;
        try (AdamW opt = new AdamW(m.trainableParameters(), 1e-2, 0.9, 0.99, 1e-8, 0.0)) {
            for (int step = 0; step < 25; step++) {
                try (var _ = TensorScope.open()) {
                    opt.zeroGrad();
                    VqLoss.Parts loss = VqLoss.of(x, m.forward(x), VqLoss.Reconstruction.L2, VectorQuantizer.BETA);
                    loss.total().backward();
                    if (step == 0) {
                        // straight-through: the encoder gets a reconstruction gradient across the argmin
                        assertNotNull(m.namedParameters().get("encoder.conv_in.weight").value().grad(), "encoder gradient");
                        assertNotNull(m.namedParameters().get("quantize.embedding.weight").value().grad(), "codebook gradient");
                        first = loss.total().item();
                    }
                    last = loss.total().item();
                    opt.step();
                }
            }
        }
        assertTrue(last < 0.7 * first, "loss " + first + " → " + last);
    }

    @Test void commitmentAndCodebookLossesAreTheMeanSquaredQuantizationError() {
        VQModel m = new VQModel(TINY, new Generator(2));
        try (var _ = GradMode.noGrad()) {
            Tensor z = Tensor.randn(new Generator(3), 2, 4, 3, 3);
            VectorQuantizer.Quantized q = m.quantizer().quantize(z);
            Tensor zq = m.quantizer().lookup(q.codes());
            double mse = zq.sub(z).square().mean().item();
            assertEquals(mse, q.codebookLoss().item(), 1e-6);
            assertEquals(mse, q.commitLoss().item(), 1e-6);
            assertEquals(0, q.zq().sub(zq).abs().max().item(), 1e-6, "forward value of the straight-through output is z_q");
        }
    }

    /**
     * The same seed gives the same weights bit for bit. The second run starts with kernels the
     * first one got C2 to compile, so this also catches a kernel whose compiled and interpreted
     * forms round differently (reduceLanes(ADD) in the GEMV of the filter gradients did).
     */
    @Test void sameSeedSameWeights() {
        java.util.Map<String, float[]> first = trainBriefly(), second = trainBriefly();
        for (var e : first.entrySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(e.getValue(), second.get(e.getKey()), e.getKey());
        }
    }

    private static java.util.Map<String, float[]> trainBriefly() {
        VQModel m = new VQModel(TINY, new Generator(21));
        Tensor x = batch();
        try (VqTrainer t = new VqTrainer(m, new VqTrainer.Options(1e-2, 0.25, VqLoss.Reconstruction.L2, 4, 1.0, 5))) {
            for (int step = 0; step < 12; step++) {
                try (var _ = TensorScope.open()) {
                    t.step(x);
                }
            }
        }
        java.util.Map<String, float[]> w = new java.util.TreeMap<>();
        m.namedParameters().forEach((k, p) -> w.put(k, p.value().toFloatArray()));
        return w;
    }

    @Test void usageStatistics() {
        CodebookUsage u = new CodebookUsage(4);
        u.add(Tensor.fromArray(new long[] {0, 0, 1, 1}, 4));
        assertEquals(2.0, u.perplexity(), 1e-12);
        assertEquals(2, u.deadCodes());
        u.add(Tensor.fromArray(new long[] {2, 2, 3, 3}, 4));
        assertEquals(4.0, u.perplexity(), 1e-12);
        assertEquals(0, u.deadCodes());
        u.reset();
        assertEquals(0, u.total());
    }
}
