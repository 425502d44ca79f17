package io.liquid4j.generate;

/**
 * The classifier-free-guidance sampling step of Liquid's text-to-image generation (spec/liquid.md,
 * "Text-to-image generation"): l = uncond + (cond − uncond)·cfg on the image tokens' logits,
 * then the {@link Sampler}'s temperature → top-k → top-p → draw. Text logits are −∞ in the
 * released loop, so only the image rows take part: callers pass the image-code logits alone
 * (which is also all an image-only LM head computes) and get a code back.
 */
public final class CfgSampler {
    private final double cfg;
    private final Sampler sampler;
    private float[] mixed = new float[0];

    /** @param cfg guidance scale (1 = conditional logits only; the released default 7.0) */
    public CfgSampler(double cfg, SamplingParams params) {
        if (!(cfg >= 0) || Double.isInfinite(cfg)) throw new IllegalArgumentException("cfg scale must be a finite number >= 0, got " + cfg);
        this.cfg = cfg;
        this.sampler = new Sampler(params);
    }

    /** The next image code, from the conditional and unconditional rows' logits over the codes. */
    public int sample(float[] cond, int condOffset, float[] uncond, int uncondOffset, int codes) {
        return sampler.sample(mix(cond, condOffset, uncond, uncondOffset, codes), 0, codes);
    }

    /** The distribution {@link #sample} draws from (for tests and inspection). */
    public Sampler.Distribution distribution(float[] cond, int condOffset, float[] uncond, int uncondOffset, int codes) {
        return sampler.distribution(mix(cond, condOffset, uncond, uncondOffset, codes), 0, codes);
    }

    private float[] mix(float[] cond, int co, float[] uncond, int uo, int codes) {
        if (mixed.length < codes) mixed = new float[codes];
        for (int i = 0; i < codes; i++) {
            float u = uncond[uo + i];
            mixed[i] = (float) (u + (cond[co + i] - u) * cfg);
        }
        return mixed;
    }
}
