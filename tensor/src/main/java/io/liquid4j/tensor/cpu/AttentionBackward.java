package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The tiled backward (FlashAttention-2): P is recomputed tile by tile from the saved lse, so,
 * like the forward, it holds O(tile·D) per thread and never a T×T matrix. With s the score
 * before the softcap, Di = Σ dO_i·O_i and
 * <pre>  P = exp(capped(s) − lse),  dS = P ∘ (dP − D) ∘ capped'(s),  dP = dO·Vᵀ</pre>
 * the gradients are dV = Pᵀ·dO, dK = scale·dSᵀ·Q and dQ = scale·dS·K.
 *
 * <p>Two passes, each writing disjoint rows, so no two threads ever add into the same value and
 * every sum runs in a fixed order: the result does not depend on the thread count or on which
 * thread ran what. {@link AttentionBackwardKeys} owns key tiles (dK, dV summed over every
 * query and every query head of the GQA group); {@link AttentionBackwardQueries} owns query
 * tiles (dQ). The price is computing P and dP twice, about 7 tile products instead of 5;
 * per-thread dQ partials would save that but their sum would depend on how the key tiles were
 * shared out, and their memory grows with the thread count.
 */
final class AttentionBackward {
    private AttentionBackward() {}

    static void run(AttentionCall c, AttentionRows out, float[] lse, AttentionRows gOut,
                    AttentionRows gq, AttentionRows gk, AttentionRows gv) {
        float[] rowDot = rowDots(c, out, gOut);
        AttentionBackwardKeys.run(c, lse, rowDot, gOut, gk, gv);
        AttentionBackwardQueries.run(c, lse, rowDot, gOut, gq);
    }

    /** D_i = Σ_x dO[i][x]·O[i][x] for every query row, [B·Hq·Lq]. */
    private static float[] rowDots(AttentionCall c, AttentionRows out, AttentionRows gOut) {
        float[] dots = c.floats(c.batch * c.hq * c.lq);
        int dv = c.dv;
        CpuThreads.parallelFor(c.batch * c.hq, 1, (s, e) -> {
            float[] o = c.floats(dv), g = c.floats(dv);
            for (int bh = s; bh < e; bh++) {
                int b = bh / c.hq, h = bh % c.hq;
                for (int i = 0; i < c.lq; i++) {
                    out.load(b, h, i, o, 0, 1f);
                    gOut.load(b, h, i, g, 0, 1f);
                    double sum = 0;
                    for (int x = 0; x < dv; x++) sum += (double) o[x] * g[x];
                    dots[bh * c.lq + i] = (float) sum;
                }
            }
        });
        return dots;
    }

    /**
     * One vector of scores s and of dP at the same positions, in place: s ← P = exp(s − lse),
     * dP ← dS = P·(dP − D). lseV and dV hold the rows' lse and D: one value broadcast (vectors
     * across keys) or one per lane (vectors across queries). Hidden positions come out as
     * anything and are zeroed by the caller.
     */
    static void probabilities(float[] s, float[] dp, int at, FloatVector lseV, FloatVector dV) {
        FloatVector p = VectorMath.exp(FloatVector.fromArray(F, s, at).sub(lseV));
        p.intoArray(s, at);
        FloatVector.fromArray(F, dp, at).sub(dV).mul(p).intoArray(dp, at);
    }

    /**
     * {@link #probabilities} with a softcap: s arrives as score/cap, the logit is cap·tanh(s)
     * and dS gains its derivative 1 − tanh². (A method of its own rather than a tanh vector that
     * is null without a softcap: C2's box elimination gives up on vectors merged at a phi, see
     * {@link GemmDecode#loadInto}.)
     */
    static void cappedProbabilities(float[] s, float[] dp, int at, FloatVector lseV, FloatVector dV, float cap) {
        FloatVector t = VectorMath.tanh(FloatVector.fromArray(F, s, at));
        FloatVector p = VectorMath.exp(t.mul(cap).sub(lseV));
        p.intoArray(s, at);
        FloatVector.fromArray(F, dp, at).sub(dV).mul(p).mul(t.mul(t).neg().add(1f)).intoArray(dp, at);
    }

    /** Factor from Σ dS·(decoded q) to dK: the decoded q carries qScale, dK needs the score scale. */
    static float keyGradScale(AttentionCall c) {
        return c.scale / c.qScale;
    }
}
