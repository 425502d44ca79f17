package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

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
    static float[] rowDots(AttentionCall c, AttentionRows out, AttentionRows gOut) {
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

    /*
     * The P/dS pass of a tile, in place: s ← P = exp(s − lse), dp ← dS = P·(dP − D), over `rows`
     * runs of NR scores (row stride NR) from `at`. Hidden positions come out as anything and are
     * zeroed by the caller. Each variant is a whole loop in a small method that takes no vector
     * argument: called per vector from the big tile methods, VectorMath.exp stayed a call there
     * (C2's node budget), its vectors were boxed, and the backward allocated ~17 GB of heap
     * vectors a minute (BENCHMARKS.md "Vectors that escaped").
     */

    /** Vectors across keys: row r has one lse and one D, lse[from + r] and d[from + r]. */
    static void probabilitiesByRow(float[] s, float[] dp, int at, int rows, float[] lse, float[] d, int from) {
        for (int r = 0; r < rows; r++) {
            FloatVector lv = FloatVector.broadcast(F, lse[from + r]), dv = FloatVector.broadcast(F, d[from + r]);
            for (int half = 0; half < AttentionKernel.NR; half += V) {
                int o = at + r * AttentionKernel.NR + half;
                FloatVector p = VectorMath.expScore(FloatVector.fromArray(F, s, o).sub(lv));
                p.intoArray(s, o);
                FloatVector.fromArray(F, dp, o).sub(dv).mul(p).intoArray(dp, o);
            }
        }
    }

    /** Vectors across queries: lane j of every row has lse[from + j] and d[from + j]. */
    static void probabilitiesByLane(float[] s, float[] dp, int rows, float[] lse, float[] d, int from) {
        for (int half = 0; half < AttentionKernel.NR; half += V) {
            FloatVector lv = FloatVector.fromArray(F, lse, from + half), dv = FloatVector.fromArray(F, d, from + half);
            for (int r = 0; r < rows; r++) {
                int o = r * AttentionKernel.NR + half;
                FloatVector p = VectorMath.expScore(FloatVector.fromArray(F, s, o).sub(lv));
                p.intoArray(s, o);
                FloatVector.fromArray(F, dp, o).sub(dv).mul(p).intoArray(dp, o);
            }
        }
    }

    /**
     * {@link #probabilitiesByRow} with a softcap: s arrives as score/cap, the logit is cap·tanh(s)
     * and dS gains its derivative 1 − tanh². (Methods of their own rather than a tanh vector that
     * is null without a softcap: C2's box elimination gives up on vectors merged at a phi, see
     * {@link GemmDecode#loadInto}.)
     */
    static void cappedProbabilitiesByRow(float[] s, float[] dp, int at, int rows, float[] lse, float[] d, int from, float cap) {
        for (int r = 0; r < rows; r++) {
            FloatVector lv = FloatVector.broadcast(F, lse[from + r]), dv = FloatVector.broadcast(F, d[from + r]);
            for (int half = 0; half < AttentionKernel.NR; half += V) {
                int o = at + r * AttentionKernel.NR + half;
                FloatVector t = VectorMath.tanh(FloatVector.fromArray(F, s, o)), p = VectorMath.expScore(t.mul(cap).sub(lv));
                p.intoArray(s, o);
                FloatVector.fromArray(F, dp, o).sub(dv).mul(p).mul(t.mul(t).neg().add(1f)).intoArray(dp, o);
            }
        }
    }

    /** {@link #probabilitiesByLane} with a softcap. */
    static void cappedProbabilitiesByLane(float[] s, float[] dp, int rows, float[] lse, float[] d, int from, float cap) {
        for (int half = 0; half < AttentionKernel.NR; half += V) {
            FloatVector lv = FloatVector.fromArray(F, lse, from + half), dv = FloatVector.fromArray(F, d, from + half);
            for (int r = 0; r < rows; r++) {
                int o = r * AttentionKernel.NR + half;
                FloatVector t = VectorMath.tanh(FloatVector.fromArray(F, s, o)), p = VectorMath.expScore(t.mul(cap).sub(lv));
                p.intoArray(s, o);
                FloatVector.fromArray(F, dp, o).sub(dv).mul(p).mul(t.mul(t).neg().add(1f)).intoArray(dp, o);
            }
        }
    }

    /** Factor from Σ dS·(decoded q) to dK: the decoded q carries qScale, dK needs the score scale. */
    static float keyGradScale(AttentionCall c) {
        return c.scale / c.qScale;
    }
}
