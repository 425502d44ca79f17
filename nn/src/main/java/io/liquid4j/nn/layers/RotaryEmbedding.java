package io.liquid4j.nn.layers;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;

/**
 * Rotary position embedding in HF's rotate-half layout: dimension i pairs with i + D/2.
 * The inverse frequencies are float32 (`1 / theta^(2i/D)`, then the scaling); angles are the
 * float32 product position · inv_freq, as HF's float32 matmul computes them. Tables are built
 * on the host per forward pass (positions are host data anyway: B·L·D/2 cosines is nothing
 * next to one layer's GEMMs) and shared by all layers.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final float[] invFreq;

    public RotaryEmbedding(int headDim, double theta, RopeScaling scaling) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head_dim, got " + headDim);
        this.headDim = headDim;
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = 1f / (float) Math.pow((float) theta, exponent);
        }
        this.invFreq = scaling.apply(inv);
    }

    /** The (scaled) inverse frequencies, length head_dim / 2. */
    public float[] inverseFrequencies() { return invFreq.clone(); }

    /** cos and sin of the angles for positions [B][L], each [B, 1, L, D/2] (the 1 broadcasts over heads). */
    public Table table(int[][] positions, Device device) {
        int b = positions.length, l = b == 0 ? 0 : positions[0].length, half = headDim / 2;
        float[] cos = new float[b * l * half], sin = new float[b * l * half];
        int k = 0;
        for (int[] row : positions) {
            if (row.length != l) throw new IllegalArgumentException("ragged positions: rows of " + l + " and " + row.length);
            for (int p : row) {
                for (int i = 0; i < half; i++, k++) {
                    float angle = p * invFreq[i];
                    cos[k] = (float) Math.cos(angle);
                    sin[k] = (float) Math.sin(angle);
                }
            }
        }
        return new Table(Tensor.fromArray(cos, b, 1, l, half).to(device), Tensor.fromArray(sin, b, 1, l, half).to(device));
    }

    /**
     * Rotated x [B, H, L, D]: (x1·cos − x2·sin, x2·cos + x1·sin) for the halves x1, x2, in x's
     * dtype (the fused op {@link F#rope}).
     */
    public static Tensor apply(Tensor x, Table t) {
        return F.rope(x, t.cos(), t.sin());
    }

    /** Per-forward cos/sin tables [B, 1, L, D/2]. */
    public record Table(Tensor cos, Tensor sin) { }
}
