package io.liquid4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and tanh on float vectors from IEEE adds, multiplies and fmas only, so every JIT tier
 * gives the same bits. {@code lanewise(VectorOperators.EXP)} does not: before C2 compiles a
 * kernel it runs a Java fallback, after it an intrinsic, and the two round differently in the
 * last place; a training run resumed in a fresh JVM then drifts from the uninterrupted one.
 *
 * <p>exp: n = round(x·log2 e) by the 1.5·2²³ trick, r = x − n·ln 2 in two parts (Cody–Waite),
 * e^r by Cephes' degree-6 polynomial on |r| ≤ ln2/2 (≈1 ulp), times 2ⁿ built in the exponent
 * bits (in two factors). Inputs above 88.72 give +∞, below −103.97 give 0, NaN stays NaN.
 */
final class VectorMath {
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
    private static final float HI = 88.72283f, LO = -103.972f;
    /** Below this e^x is under the smallest normal float (2^-126 = e^-87.336): {@link #expScore} gives 0. */
    static final float SCORE_LO = -87.33f;

    /**
     * The species of every caller's vectors (all kernels use the preferred one). Constants are
     * broadcast from it directly, never through a helper method: a 9-byte helper is still a call
     * that C2 may refuse to inline in a big caller (NodeCountInliningCutoff), and its vector
     * then goes to the heap on every iteration.
     */
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256, F128 = FloatVector.SPECIES_128;

    /**
     * Σ of v's lanes by a fixed fold: the two 256-bit halves added (AVX-512), then the two 128-bit
     * quarters, then (q0 + q2) + (q1 + q3). Every JIT tier computes these same IEEE adds, so a
     * result does not depend on when C2 compiled the kernel. {@code reduceLanes(ADD)} does: its
     * Java fallback adds in lane order, C2's intrinsic in a tree. `liquid vq train` run twice
     * with the same seed, even on one thread, gave different weights after 20 steps (its filter
     * gradients are GEMVs of up to 32 rows), and the 16-bit, quantized and decode-attention loops
     * changed their last bits once C2 had compiled them (JitTierBitsTest). Cost on the 2-vCPU Zen 4
     * VM (GemvBench F32, k 768, n 4096): 419–430 → 452–480 µs; at n 32000 within noise
     * (BENCHMARKS.md "Deterministic GEMV"). Every kernel's horizontal sum goes through here.
     */
    static float laneSum(FloatVector v) {
        int lanes = v.length();
        FloatVector h = lanes == 16 ? ((FloatVector) v.reinterpretShape(F256, 0)).add((FloatVector) v.reinterpretShape(F256, 1)) : v;
        FloatVector q = lanes >= 8 ? ((FloatVector) h.reinterpretShape(F128, 0)).add((FloatVector) h.reinterpretShape(F128, 1)) : h;
        return (q.lane(0) + q.lane(2)) + (q.lane(1) + q.lane(3));
    }

    private static final ThreadLocal<float[][]> PARKING = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * This thread's array of at least n floats where a kernel parks its accumulators (intoArray,
     * an intrinsic) for {@link #laneSums}. Why: after a loop large enough to pass C2's node budget
     * ({@code NodeCountInliningCutoff}), {@link #laneSum} stays a call, and each vector handed to
     * it is boxed — one allocation per row sum, ~150-400 KB per 2048-row decode GEMV (JMH -prof
     * gc) — where intoArray still compiles to a store. Contents are not cleared.
     */
    static float[] parking(int n) {
        float[][] holder = PARKING.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /**
     * out[at + r] = {@link #laneSum} of the vector parked at acc[r·V ..], r < count: the same bits
     * as summing the vectors themselves.
     */
    static void laneSums(float[] acc, int count, float[] out, int at) {
        int v = SP.length();
        for (int r = 0; r < count; r++) out[at + r] = parkedSum(acc, r * v);
    }

    /**
     * {@link #laneSum} of the vector parked at acc[from ..]: for a kernel that holds its sums in an
     * array, where {@code laneSum(FloatVector.fromArray(..))} would hand a vector to a call that
     * C2 may leave un-inlined (and box the vector) in a large kernel.
     */
    static float parkedSum(float[] acc, int from) {
        return laneSum(FloatVector.fromArray(SP, acc, from));
    }

    private VectorMath() {}

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(LO).min(HI);
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));   // n as an int
        FloatVector r = xc.sub(n.mul(LN2_HI));                  // exact: LN2_HI has 9 significant bits, |n| ≤ 127
        r = r.sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500E-4f).add(1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(SP, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(SP, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(SP, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(SP, 5.0000001201E-1f));
        FloatVector r2 = r.mul(r);
        FloatVector y = p.fma(r2, r).add(1f);
        // 2^n as 2^(n>>1)·2^(n−(n>>1)): both factors stay normal for n in [−150, 128], so results
        // near overflow are right and tiny ones round once into the subnormals
        IntVector half = bits.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = bits.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector out = y.mul(s1).mul(s2);
        VectorMask<Float> big = x.compare(VectorOperators.GT, HI), small = x.compare(VectorOperators.LT, LO);
        out = out.blend(Float.POSITIVE_INFINITY, big).blend(0f, small);
        return out.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * e^x for a softmax's shifted scores, x = s − max or s − logΣ: at most a few ulps above 0 (never
     * above 88), any amount below, −∞ for hidden keys. Half of {@link #exp}'s operations, because
     * that range needs neither clamp nor the two-factor 2ⁿ: no overflow, and everything below
     * {@link #SCORE_LO} (where e^x leaves the normal floats) is 0, decided by one compare at the
     * end; the lanes it zeroes (−∞ among them) may compute garbage before it. The same
     * Cody–Waite reduction and polynomial as exp, so on [SCORE_LO, 88] both give the same bits
     * (written out in both rather than in a shared helper: a helper is one more call that C2 may
     * leave un-inlined in a big kernel, which boxes its vectors; see {@link #SP}). NaN stays NaN
     * (it passes every step and fails the compare).
     */
    static FloatVector expScore(FloatVector x) {
        FloatVector t = x.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        FloatVector r = x.sub(n.mul(LN2_HI));
        r = r.sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500E-4f).add(1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(SP, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(SP, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(SP, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(SP, 5.0000001201E-1f));
        FloatVector r2 = r.mul(r);
        FloatVector y = p.fma(r2, r).add(1f);
        FloatVector scale = bits.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale).blend(0f, x.compare(VectorOperators.LT, SCORE_LO));
    }

    /**
     * tanh: for |x| ≥ 0.625, 1 − 2/(e^{2x} + 1) (±1 at the extremes); below, where that form
     * cancels (it gave 0 for |x| < 3e-8 and an absolute error of ~1e-7 near 0), Cephes' tanhf
     * polynomial x + x³·P(x²), within a few ulp. NaN stays NaN.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.add(x));
        FloatVector far = FloatVector.broadcast(SP, 1f).sub(FloatVector.broadcast(SP, 2f).div(e.add(1f)));
        FloatVector z = x.mul(x);
        FloatVector p = z.mul(-5.70498872745e-3f).add(2.06390887954e-2f).mul(z).sub(5.37397155531e-2f)
                .mul(z).add(1.33314422036e-1f).mul(z).sub(3.33332819422e-1f);
        FloatVector near = p.mul(z).mul(x).add(x);
        return far.blend(near, x.abs().compare(VectorOperators.LT, 0.625f));
    }
}
