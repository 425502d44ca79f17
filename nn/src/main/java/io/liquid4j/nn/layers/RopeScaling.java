package io.liquid4j.nn.layers;

/**
 * How RoPE inverse frequencies are rescaled for long contexts (HF `rope_scaling` /
 * `rope_parameters`). Only the types whose attention scaling stays 1 are supported.
 *
 * @param type           DEFAULT (no change), LINEAR (inv / factor) or LLAMA3 (three bands)
 * @param factor         the context extension factor
 * @param lowFreqFactor  llama3: wavelengths above original/low are divided by factor
 * @param highFreqFactor llama3: wavelengths below original/high are kept
 * @param originalMaxPositions llama3: the pre-training context length
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    public enum Type { DEFAULT, LINEAR, LLAMA3 }

    public static final RopeScaling NONE = new RopeScaling(Type.DEFAULT, 1, 1, 1, 0);

    /**
     * Applies the scaling to float32 inverse frequencies in float32 arithmetic, as HF's
     * _compute_llama3_parameters does on a float32 tensor.
     */
    public float[] apply(float[] invFreq) {
        float[] out = invFreq.clone();
        switch (type) {
            case DEFAULT -> { }
            case LINEAR -> {
                for (int i = 0; i < out.length; i++) out[i] = out[i] / (float) factor;
            }
            case LLAMA3 -> {
                float f = (float) factor, low = (float) lowFreqFactor, high = (float) highFreqFactor;
                double lowWavelen = originalMaxPositions / lowFreqFactor, highWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < out.length; i++) {
                    float inv = invFreq[i];
                    float wavelen = (float) (2 * Math.PI) / inv;
                    if (wavelen > lowWavelen) {
                        out[i] = inv / f;
                    } else if (wavelen >= highWavelen) {
                        float smooth = ((float) originalMaxPositions / wavelen - low) / (high - low);
                        out[i] = (1 - smooth) * inv / f + smooth * inv;
                    }
                }
            }
        }
        return out;
    }
}
