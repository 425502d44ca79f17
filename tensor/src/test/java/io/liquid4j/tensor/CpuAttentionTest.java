package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.tensor.cpu.CpuBackend;
import io.liquid4j.tensor.cpu.CpuThreads;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The CPU attention kernels (tiled forward, decode forward, two-pass backward) against the
 * composed {@link AttentionReference}, for every {@link AttentionSpec} feature alone and
 * combined, odd sizes, 16-bit K/V and strided views; finite-difference gradients through
 * {@link F#attention}; bit-identical results on one thread and on all. (Memory:
 * {@code cpu.CpuAttentionMemoryTest}.)
 */
class CpuAttentionTest {
    private static final GradCheck GC = GradCheck.defaults();

    /** One configuration: shapes, spec, dtypes and layouts of the operands. */
    private record Case(String name, int b, int hq, int hkv, int lq, int lk, int d, int dv, AttentionSpec spec,
                        DType qType, DType kvType, boolean transposedQ, int cacheSlack) {
        Case(String name, int b, int hq, int hkv, int lq, int lk, int d, int dv, AttentionSpec spec) {
            this(name, b, hq, hkv, lq, lk, d, dv, spec, DType.F32, DType.F32, false, 0);
        }

        Case kv(DType t) { return new Case(name + " kv " + t, b, hq, hkv, lq, lk, d, dv, spec, qType, t, transposedQ, cacheSlack); }

        Case q(DType t) { return new Case(name + " q " + t, b, hq, hkv, lq, lk, d, dv, spec, t, kvType, transposedQ, cacheSlack); }

        /** q as the transposed view of [B, Lq, Hq, D]; k and v narrowed from a cache of lk + slack slots. */
        Case strided(int slack) { return new Case(name + " strided", b, hq, hkv, lq, lk, d, dv, spec, qType, kvType, true, slack); }

        Case with(UnaryOperator<AttentionSpec> f) { return new Case(name, b, hq, hkv, lq, lk, d, dv, f.apply(spec), qType, kvType, transposedQ, cacheSlack); }
    }

    private static Tensor random(long seed, double range, int... shape) {
        return Tensor.fromArray(uniform(seed, (int) Tensor.numel(shape), -range, range), shape);
    }

    private static Tensor[] operands(Case c) {
        Tensor q = c.transposedQ ? random(1, 1.5, c.b, c.lq, c.hq, c.d).transpose(1, 2) : random(1, 1.5, c.b, c.hq, c.lq, c.d);
        Tensor k = random(2, 1.5, c.b, c.hkv, c.lk + c.cacheSlack, c.d).narrow(2, 0, c.lk);
        Tensor v = random(3, 1.0, c.b, c.hkv, c.lk + c.cacheSlack, c.dv).narrow(2, 0, c.lk);
        if (c.qType != DType.F32) q = q.to(c.qType);
        if (c.kvType != DType.F32) {
            // keep the narrowed view: convert the whole cache, then narrow again
            k = random(2, 1.5, c.b, c.hkv, c.lk + c.cacheSlack, c.d).to(c.kvType).narrow(2, 0, c.lk);
            v = random(3, 1.0, c.b, c.hkv, c.lk + c.cacheSlack, c.dv).to(c.kvType).narrow(2, 0, c.lk);
        }
        return new Tensor[] {q, k, v};
    }

    /**
     * Kernel forward and backward against the reference, each from the same out and lse: with
     * the kernels the dispatch picks (whole documents where every document of the call is at most
     * 256 slots), and again with the whole-document path off (the tiled kernels for every case).
     */
    private static void check(Case c) {
        checkKernels(c);
        withoutWholeDocuments(() -> checkKernels(c));
    }

    /** Runs body with the CPU kernels' whole-document path off (liquid4j.attention.wholeDocuments = 0). */
    static void withoutWholeDocuments(Runnable body) {
        String key = "liquid4j.attention.wholeDocuments", old = System.getProperty(key);
        System.setProperty(key, "0");
        try {
            body.run();
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }

    private static void checkKernels(Case c) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor[] in = operands(c);
            Tensor q = in[0], k = in[1], v = in[2];
            Tensor out = Tensor.empty(DType.F32, c.b, c.hq, c.lq, c.dv), lse = Tensor.empty(DType.F32, c.b, c.hq, c.lq);
            Tensor outR = Tensor.empty(DType.F32, c.b, c.hq, c.lq, c.dv), lseR = Tensor.empty(DType.F32, c.b, c.hq, c.lq);
            CpuBackend.INSTANCE.attention(q, k, v, c.spec, out, lse);
            AttentionReference.forward(q, k, v, c.spec, outR, lseR);
            assertClose(outR, out, 2e-5, c.name + ": out");
            assertLse(lseR, lse, c.name);

            Tensor gOut = random(4, 1, c.b, c.hq, c.lq, c.dv);
            Tensor[] g = grads(c, q, k, v, out, lse, gOut, false), gR = grads(c, q, k, v, outR, lseR, gOut, true);
            assertClose(gR[0], g[0], 5e-5, c.name + ": dq");
            assertClose(gR[1], g[1], 5e-5, c.name + ": dk");
            assertClose(gR[2], g[2], 5e-5, c.name + ": dv");
        }
    }

    private static Tensor[] grads(Case c, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, boolean reference) {
        Tensor gq = Tensor.full(Float.NaN, DType.F32, c.b, c.hq, c.lq, c.d);
        Tensor gk = Tensor.full(Float.NaN, DType.F32, c.b, c.hkv, c.lk, c.d);
        Tensor gv = Tensor.full(Float.NaN, DType.F32, c.b, c.hkv, c.lk, c.dv);
        if (reference) AttentionReference.backward(q, k, v, c.spec, out, lse, gOut, gq, gk, gv);
        else CpuBackend.INSTANCE.attentionBackward(q, k, v, c.spec, out, lse, gOut, gq, gk, gv);
        return new Tensor[] {gq, gk, gv};
    }

    /** |actual − expected| ≤ tol·max(1, max |expected|) everywhere; NaN fails. */
    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        assertEquals(e.length, a.length, what + ": sizes");
        double scale = 1;
        for (float x : e) scale = Math.max(scale, Math.abs(x));
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= tol * scale)) fail(what + ": element " + i + " is " + a[i] + ", reference " + e[i] + " (scale " + scale + ")");
        }
    }

    /** Equal −∞ where the reference has it (queries that see nothing), close elsewhere. */
    private static void assertLse(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            if (e[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, a[i], what + ": lse " + i + " should be -inf");
            else if (!(Math.abs(a[i] - e[i]) <= 2e-5 * (1 + Math.abs(e[i])))) fail(what + ": lse " + i + " is " + a[i] + ", reference " + e[i]);
        }
    }

    private static double scale(int d) { return 1 / Math.sqrt(d); }

    // ---- every feature alone -------------------------------------------------------------

    @Test
    void fullAndCausalOverLengthsAroundTheTiles() {
        // lengths from 1 to more than two 64-key / 64-query tiles, square and not
        int[] lengths = {1, 2, 5, 31, 32, 33, 63, 64, 65, 100, 130, 200};
        for (int l : lengths) {
            check(new Case("causal L=" + l, 1, 2, 2, l, l, 16, 16, AttentionSpec.causal(scale(16))));
            check(new Case("full L=" + l, 1, 2, 2, l, l, 16, 16, AttentionSpec.full(scale(16))));
        }
        check(new Case("full Lq=7 Lk=150", 2, 1, 1, 7, 150, 8, 8, AttentionSpec.full(0.3)));
        check(new Case("full Lq=150 Lk=7", 2, 1, 1, 150, 7, 8, 8, AttentionSpec.full(0.3).withQueryOffset(0)));
        check(new Case("causal Lq=70 Lk=140 (queries last)", 1, 1, 1, 70, 140, 8, 8, AttentionSpec.causal(0.3)));
    }

    @Test
    void headDimsThatAreNotMultiplesOfTheVectorOrTile() {
        for (int d : new int[] {1, 3, 9, 17, 64, 80, 128}) {
            check(new Case("causal D=" + d, 1, 2, 1, 70, 70, d, d, AttentionSpec.causal(scale(d))));
        }
        check(new Case("Dv != D (9, 5)", 2, 2, 2, 67, 67, 9, 5, AttentionSpec.causal(0.4)));
        check(new Case("Dv != D (64, 80)", 1, 2, 2, 40, 90, 64, 80, AttentionSpec.full(scale(64))));
        check(new Case("Dv != D (80, 3) decode", 1, 2, 2, 1, 90, 80, 3, AttentionSpec.causal(scale(80))));
    }

    @Test
    void slidingWindow() {
        for (int w : new int[] {1, 5, 64, 70, 500}) {
            check(new Case("causal window " + w, 1, 2, 2, 150, 150, 16, 16, AttentionSpec.causal(0.3).withWindow(w)));
        }
        check(new Case("window without causal", 1, 1, 1, 100, 100, 8, 8, AttentionSpec.full(0.3).withWindow(20)));
    }

    @Test
    void softcap() {
        // scores of magnitude ~10 against a cap of 5: well inside the saturating part of tanh
        check(new Case("softcap causal", 2, 2, 2, 80, 80, 32, 32, new AttentionSpec(2.0, 5.0, true, 0, AttentionSpec.QUERIES_LAST, null, null, null)));
        check(new Case("softcap full", 1, 1, 1, 9, 20, 7, 7, AttentionSpec.full(1.5).withSoftcap(2.0)));
        check(new Case("softcap decode", 1, 2, 2, 1, 100, 16, 16, AttentionSpec.causal(2.0).withSoftcap(3.0)));
    }

    @Test
    void groupedQueryHeads() {
        check(new Case("GQA 6/2", 2, 6, 2, 70, 70, 16, 16, AttentionSpec.causal(scale(16))));
        check(new Case("GQA 6/1 (multi-query)", 1, 6, 1, 70, 70, 16, 16, AttentionSpec.causal(scale(16))));
        check(new Case("GQA 6/2 full", 1, 6, 2, 33, 130, 16, 24, AttentionSpec.full(scale(16))));
        check(new Case("GQA 6/2 decode", 2, 6, 2, 1, 130, 16, 16, AttentionSpec.causal(scale(16))));
    }

    @Test
    void keyRangesLeftPaddingAndARowThatSeesNothing() {
        int l = 90;
        // row 0: left padding of 17 (its first 17 queries see nothing under causal), row 1: no padding,
        // row 2: right-truncated keys, row 3: an empty range, every query sees nothing
        int[] start = {17, 0, 0, 40}, end = {l, l, 50, 40};
        check(new Case("causal key ranges", 4, 2, 2, l, l, 16, 16, AttentionSpec.causal(0.3).withKeyRanges(start, end)));
        check(new Case("full key ranges", 4, 2, 1, 30, l, 16, 16, AttentionSpec.full(0.3).withKeyRanges(start, end)));
        check(new Case("decode key ranges", 4, 2, 2, 1, l, 16, 16, AttentionSpec.causal(0.3).withKeyRanges(start, end)));
    }

    @Test
    void segmentIds() {
        int l = 150;
        int[][] packed = new int[2][l], interleaved = new int[2][l];
        for (int j = 0; j < l; j++) {
            packed[0][j] = j < 20 ? 0 : j < 90 ? 1 : 2;        // documents of 20, 70, 60 tokens
            packed[1][j] = 100 + j / 37;
            interleaved[0][j] = (j / 7) % 3;                      // ids recur after gaps: per-key test
            interleaved[1][j] = j % 2;
        }
        check(new Case("packed documents causal", 2, 2, 2, l, l, 16, 16, AttentionSpec.causal(0.3).withSegments(packed)));
        check(new Case("packed documents full", 2, 2, 2, l, l, 16, 16, AttentionSpec.full(0.3).withSegments(packed)));
        check(new Case("recurring ids causal", 2, 2, 2, l, l, 16, 16, AttentionSpec.causal(0.3).withSegments(interleaved)));
        check(new Case("recurring ids full", 2, 2, 2, l, l, 16, 16, AttentionSpec.full(0.3).withSegments(interleaved)));
    }

    @Test
    void queryOffsetDecodeAndChunkedPrefill() {
        // decode: one query at the last slot of a long cache (narrowed view of a bigger one)
        check(new Case("decode Lq=1 Lk=300", 2, 4, 2, 1, 300, 64, 64, AttentionSpec.causal(scale(64)).withQueryOffset(299)).strided(40));
        check(new Case("decode Lq=1 queries last", 1, 2, 2, 1, 257, 32, 32, AttentionSpec.causal(scale(32))).strided(3));
        // a window that starts inside the decode kernel's first load of K/V (256 keys at d = 64)
        check(new Case("decode Lq=1 window 300 of 600", 1, 2, 1, 1, 600, 64, 64,
                AttentionSpec.causal(scale(64)).withQueryOffset(599).withWindow(300)).kv(DType.BF16).strided(7));
        // chunked prefill: 5 queries at slots 7..11 of a cache holding 12
        check(new Case("chunk Lq=5 at 7", 2, 2, 2, 5, 12, 16, 16, AttentionSpec.causal(0.3).withQueryOffset(7)).strided(20));
        check(new Case("chunk Lq=70 at 100", 1, 2, 1, 70, 170, 16, 16, AttentionSpec.causal(0.3).withQueryOffset(100)));
        check(new Case("speculative Lq=3 at 40", 1, 2, 2, 3, 43, 16, 16, AttentionSpec.causal(0.3).withQueryOffset(40)));
        // offset without causal: queries see every key
        check(new Case("offset full", 1, 2, 2, 5, 30, 16, 16, AttentionSpec.full(0.3).withQueryOffset(3)));
    }

    @Test
    void sixteenBitOperands() {
        Case base = new Case("causal", 1, 4, 2, 70, 70, 24, 24, AttentionSpec.causal(0.3));
        check(base.kv(DType.BF16));
        check(base.kv(DType.F16));
        check(base.kv(DType.BF16).q(DType.BF16));
        check(new Case("decode", 1, 4, 2, 1, 200, 64, 64, AttentionSpec.causal(0.125)).kv(DType.BF16).strided(10));
    }

    @Test
    void stridedViews() {
        check(new Case("causal", 2, 3, 3, 70, 70, 16, 16, AttentionSpec.causal(0.3)).strided(0));
        check(new Case("cache view", 1, 2, 2, 70, 70, 16, 16, AttentionSpec.causal(0.3)).strided(33));
        check(new Case("GQA cache view", 1, 6, 2, 10, 90, 16, 16, AttentionSpec.causal(0.3).withQueryOffset(80)).strided(33));
    }

    // ---- combined ----------------------------------------------------------------------------

    @Test
    void everythingAtOnce() {
        int lk = 160, lq = 70, off = 85;
        int[][] seg = new int[2][lk];
        for (int j = 0; j < lk; j++) {
            seg[0][j] = j < 100 ? 0 : 1;
            seg[1][j] = (j / 11) % 2;
        }
        AttentionSpec spec = new AttentionSpec(0.4, 4.0, true, 50, off, new int[] {10, 0}, new int[] {lk, 150}, seg);
        Case c = new Case("all features", 2, 6, 2, lq, lk, 80, 24, spec);
        check(c);
        check(c.kv(DType.BF16).strided(25));
        check(new Case("all features decode", 2, 6, 2, 1, lk, 80, 24, spec.withQueryOffset(lk - 1)).kv(DType.BF16).strided(5));
        check(new Case("all features chunk", 2, 6, 2, 5, lk, 80, 24, spec.withQueryOffset(150)).strided(5));
    }

    // ---- gradients through F.attention --------------------------------------------------

    private static void gradCheck(AttentionSpec spec, int b, int hq, int hkv, int lq, int lk, int d, int dv) {
        Runnable check = () -> {
            try (var _ = TensorScope.open()) {
                GC.check(x -> F.attention(x[0], x[1], x[2], spec),
                        random(11, 1, b, hq, lq, d), random(12, 1, b, hkv, lk, d), random(13, 1, b, hkv, lk, dv));
            }
        };
        check.run();
        withoutWholeDocuments(check);
    }

    @Test
    void gradientsOfEachFeature() {
        gradCheck(AttentionSpec.full(0.5), 1, 1, 1, 6, 6, 4, 4);
        gradCheck(AttentionSpec.causal(0.5), 2, 2, 2, 7, 7, 3, 3);
        gradCheck(AttentionSpec.causal(0.5).withWindow(3), 1, 2, 2, 9, 9, 3, 3);
        gradCheck(AttentionSpec.causal(1.5).withSoftcap(2.0), 1, 2, 2, 7, 7, 3, 3);
        gradCheck(AttentionSpec.causal(0.5), 1, 6, 2, 5, 5, 3, 3);
        gradCheck(AttentionSpec.causal(0.5), 1, 6, 1, 5, 5, 3, 3);
        gradCheck(AttentionSpec.causal(0.5).withKeyRanges(new int[] {3, 0}, new int[] {8, 6}), 2, 1, 1, 8, 8, 3, 3);
        gradCheck(AttentionSpec.causal(0.5).withSegments(new int[][] {{0, 0, 0, 1, 1, 2, 2, 2}}), 1, 2, 2, 8, 8, 3, 3);
        gradCheck(AttentionSpec.full(0.5).withSegments(new int[][] {{0, 1, 0, 1, 1, 0, 2, 0}}), 1, 1, 1, 8, 8, 3, 3);
        gradCheck(AttentionSpec.causal(0.5).withQueryOffset(4), 1, 2, 2, 3, 9, 3, 3);
        gradCheck(AttentionSpec.causal(0.5), 1, 2, 2, 1, 9, 3, 3);
        gradCheck(AttentionSpec.causal(0.5), 1, 2, 2, 6, 6, 4, 2);
    }

    @Test
    void gradientsOfEverythingCombined() {
        int[][] seg = {{0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, {0, 1, 0, 1, 2, 2, 2, 2, 2, 2}};
        AttentionSpec spec = new AttentionSpec(0.8, 3.0, true, 4, 3, new int[] {1, 0}, new int[] {10, 9}, seg);
        gradCheck(spec, 2, 4, 2, 7, 10, 3, 2);
        // through non-contiguous q (the [B, L, H, D] projection layout)
        try (var _ = TensorScope.open()) {
            GC.check(x -> F.attention(x[0].transpose(1, 2), x[1], x[2], spec),
                    random(21, 1, 2, 7, 4, 3), random(22, 1, 2, 2, 10, 3), random(23, 1, 2, 2, 10, 2));
        }
    }

    // ---- determinism -----------------------------------------------------------

    @Test
    void resultsAreBitIdenticalOnOneThreadAndOnAll() {
        int[][] packed = new int[2][200];
        for (int j = 0; j < 200; j++) {
            packed[0][j] = j < 37 ? 0 : j < 150 ? 1 : 2;
            packed[1][j] = j / 61;
        }
        // the whole-document kernels: one document per row, and packed documents over a GQA group
        bitIdentical(new Case("determinism", 1, 4, 2, 200, 200, 32, 32, AttentionSpec.causal(0.2).withWindow(150)));
        bitIdentical(new Case("determinism packed", 2, 4, 2, 200, 200, 32, 32, AttentionSpec.causal(0.2).withSegments(packed)));
        // the tiled kernels
        withoutWholeDocuments(() -> bitIdentical(new Case("determinism", 1, 4, 2, 200, 200, 32, 32, AttentionSpec.causal(0.2).withWindow(150))));
    }

    private static void bitIdentical(Case c) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor[] in = operands(c);
            Tensor gOut = random(4, 1, c.b, c.hq, c.lq, c.dv);
            // Each mode runs until it gives the same bits three times in a row: until C2 has compiled
            // the kernels, the Vector API computes EXP in Java (C1 does not intrinsify it either),
            // which rounds differently. A race would keep changing the bits from run to run.
            float[][] all = null, one = null;
            int stableAll = 0, stableOne = 0;
            for (int run = 0; run < 300 && (stableAll < 3 || stableOne < 3); run++) {
                float[][] a = forwardAndBackward(c, in, gOut);
                stableAll = java.util.Arrays.deepEquals(a, all) ? stableAll + 1 : 0;
                all = a;
                // a kernel called from inside a parallel range runs serially on its thread
                float[][][] o = new float[1][][];
                CpuThreads.parallelFor(2, 1, (s, e) -> {
                    if (s == 0) o[0] = forwardAndBackward(c, in, gOut);
                });
                stableOne = java.util.Arrays.deepEquals(o[0], one) ? stableOne + 1 : 0;
                one = o[0];
            }
            String[] names = {"out", "lse", "dq", "dk", "dv"};
            for (int i = 0; i < names.length; i++) assertArrayEquals(all[i], one[i], names[i]);
        }
    }

    private static float[][] forwardAndBackward(Case c, Tensor[] in, Tensor gOut) {
        try (var _ = TensorScope.open()) {
            Tensor out = Tensor.empty(DType.F32, c.b, c.hq, c.lq, c.dv), lse = Tensor.empty(DType.F32, c.b, c.hq, c.lq);
            CpuBackend.INSTANCE.attention(in[0], in[1], in[2], c.spec, out, lse);
            Tensor[] g = grads(c, in[0], in[1], in[2], out, lse, gOut, false);
            return new float[][] {out.toFloatArray(), lse.toFloatArray(), g[0].toFloatArray(), g[1].toFloatArray(), g[2].toFloatArray()};
        }
    }
}
