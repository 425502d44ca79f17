package io.liquid4j.nn.vqgan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.tensor.Tensor;

/**
 * Code comparison that tolerates float rounding: two implementations may pick different codes
 * only where the best and second-best distances are within a relative `margin` of each other.
 */
final class QuantizerMargins {
    private QuantizerMargins() {}

    /** Asserts agreement wherever the nearest entry is clear; returns how many positions were clear. */
    static int assertCodesAgree(Tensor latent, Tensor codebook, long[] ours, long[] ref, double margin) {
        int n = latent.size(0), c = latent.size(1), h = latent.size(2), w = latent.size(3);
        double[] z = latent.contiguous().toDoubleArray(), e = codebook.toDoubleArray();
        int k = codebook.size(0), clear = 0;
        assertEquals(ref.length, ours.length, "code count");
        for (int b = 0; b < n; b++) {
            for (int p = 0; p < h * w; p++) {
                double best = Double.MAX_VALUE, second = Double.MAX_VALUE;
                for (int j = 0; j < k; j++) {
                    double d = 0;
                    for (int ch = 0; ch < c; ch++) {
                        double diff = z[(b * c + ch) * h * w + p] - e[j * c + ch];
                        d += diff * diff;
                    }
                    if (d < best) {
                        second = best;
                        best = d;
                    } else if (d < second) {
                        second = d;
                    }
                }
                int at = b * h * w + p;
                if (second - best > margin * Math.max(second, 1e-12)) {
                    clear++;
                    assertEquals(ref[at], ours[at], "code at " + at + " (best " + best + ", second " + second + ")");
                }
            }
        }
        return clear;
    }
}
