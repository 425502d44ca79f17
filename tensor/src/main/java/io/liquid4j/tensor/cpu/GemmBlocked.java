package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmKernel.MR;
import static io.liquid4j.tensor.cpu.GemmKernel.NR;

/**
 * Cache-blocked GEMM (the Goto/BLIS loop nest) for the general case.
 *
 * <pre>
 * for jc in N step NC          B block kc×NC packed once per (jc, pc): L3
 *   for pc in K step kc
 *     pack B
 *     for ic in M step MC      A block MC×kc packed: L2
 *       pack A
 *       for jr in NC step NR     B micro-panel kc×NR: L2, reused by every A micro-panel of the block
 *         for ir in MC step MR     MR×NR C tile in registers for kc steps
 * </pre>
 *
 * <p>Block sizes, measured on a Zen 4 core (32 KiB L1d, 1 MiB L2, 16-float vectors, NR = 32):
 * kc is deep (up to 1024) rather than L1-sized because Java cannot prefetch: each pass over K
 * re-loads C tiles with demand misses, which cost more than streaming the kc×NR B micro-panel
 * (128 KiB) from L2. MC = 48 keeps the A block (192 KiB) plus that micro-panel well inside L2.
 * NC = 1024 bounds the packed B block to 4 MiB per thread. All three can be overridden with
 * the system properties liquid4j.gemm.kc/mc/nc for tuning on other cores.
 *
 * <p>Threads each take one rectangle of C and run the whole loop nest on it with their own
 * packed buffers; the duplicated packing costs O(k·(m+n)) against O(m·n·k) of compute.
 */
final class GemmBlocked {
    /** Largest depth of a packed block; K is split into equal passes no deeper than this. */
    static final int KC = Integer.getInteger("liquid4j.gemm.kc", 1024);
    /** Rows of a packed A block. */
    static final int MC = roundUp(Integer.getInteger("liquid4j.gemm.mc", 48), MR);
    /** Columns of a packed B block. */
    static final int NC = roundUp(Integer.getInteger("liquid4j.gemm.nc", 1024), NR);
    /**
     * Most floats of A a thread packs once and keeps across column blocks (32 MiB). A wide C (a
     * convolution: N = 263k pixels at 512², M = 128-512 channels) otherwise repacks all of A for
     * every NC columns: measured 11% of a VQGAN decode.
     */
    private static final long A_ONCE_MAX_FLOATS = 8L << 20;
    /** Below this many multiply-adds a single thread is faster than handing work to the pool. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Per-thread packing buffers, grown to the largest blocks seen and reused by later calls. */
    private static final class Scratch {
        float[] a = new float[0], b = new float[0], staging = new float[0];
        /** All of the thread's A, packed once when C spans several column blocks. */
        float[] aAll = new float[0];
        final float[] tile = new float[MR * NR];

        void ensure(int kc, int mc, int nc) {
            if (a.length < mc * kc) a = new float[mc * kc];
            if (b.length < nc * kc) b = new float[nc * kc];
            int stagingSize = GemmPacking.stagingSize(kc, mc, nc);
            if (staging.length < stagingSize) staging = new float[stagingSize];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private GemmBlocked() {}

    static void multiply(GemmArgs g) {
        multiply(g, null, 0, null, 0);
    }

    /**
     * C = op(A)·B with B already in packed panel order ({@link GemmPacking}: panel q of NR columns
     * at packedOff + q·NR·k, element (p, r) at + p·NR + r), for k ≤ KC: producers that can write
     * B in that order (the Winograd input transform) save the packing pass.
     */
    static void multiplyPrepacked(GemmArgs g, float[] packedB, int packedOff) {
        multiplyPrepacked(g, packedB, packedOff, null, 0);
    }

    /**
     * The same with A also packed already, as {@link #packA} leaves it (MR-row panels of all m
     * rows, panel q at aOff + q·MR·k): a product repeated against many Bs (the Winograd filter
     * transform, once per band of tiles) packs its A once instead of once per call.
     */
    static void multiplyPrepacked(GemmArgs g, float[] packedB, int packedOff, float[] packedA, int aOff) {
        if (g.k() > KC) throw new IllegalArgumentException("prepacked B needs k <= " + KC + ", got " + g.k());
        multiply(g, packedB, packedOff, packedA, aOff);
    }

    /** op(A) of g, all m rows and k ≤ KC steps, as MR-row panels (the layout {@link #multiplyPrepacked} takes). */
    static float[] packA(GemmArgs g) {
        if (g.k() > KC) throw new IllegalArgumentException("packed A needs k <= " + KC + ", got " + g.k());
        float[] dst = new float[roundUp(g.m(), MR) * g.k()];
        GemmPacking.packA(g, 0, g.m(), 0, g.k(), dst, 0, new float[GemmPacking.stagingSize(g.k(), g.m(), NR)]);
        return dst;
    }

    private static void multiply(GemmArgs g, float[] packedB, int packedOff, float[] packedA, int aOff) {
        int m = g.m(), n = g.n();
        int panelsM = ceilDiv(m, MR), panelsN = ceilDiv(n, NR);
        int threads = !g.parallel() || (long) m * n * g.k() < PARALLEL_MIN_MACS ? 1 : CpuThreads.threads();
        // Split C into a gridM × gridN grid of rectangles with the smallest perimeter: that is
        // the packing work each thread duplicates.
        int gridM = 1, gridN = 1;
        long best = Long.MAX_VALUE;
        for (int pm = 1; pm <= threads; pm++) {
            int pn = threads / pm;
            if (pm * pn != threads || pm > panelsM || pn > panelsN) continue;
            long perimeter = (long) ceilDiv(m, pm) + ceilDiv(n, pn);
            if (perimeter < best) {
                best = perimeter;
                gridM = pm;
                gridN = pn;
            }
        }
        int gm = gridM, gn = gridN;   // effectively final copies for the lambda
        g.forRanges(gm * gn, 1, (start, end) -> {
            for (int t = start; t < end; t++) {
                int tm = t / gn, tn = t % gn;
                int i0 = Math.min(m, (int) ((long) panelsM * tm / gm) * MR);
                int i1 = Math.min(m, (int) ((long) panelsM * (tm + 1) / gm) * MR);
                int j0 = Math.min(n, (int) ((long) panelsN * tn / gn) * NR);
                int j1 = Math.min(n, (int) ((long) panelsN * (tn + 1) / gn) * NR);
                if (i0 < i1 && j0 < j1) rectangle(g, i0, i1, j0, j1, packedB, packedOff, packedA, aOff);
            }
        });
    }

    /**
     * C[i0,i1)×[j0,j1) on the calling thread. When the columns span several NC blocks and A is
     * small enough, A is packed once (block (pc, ic) at pc·rows + (ic − i0)·kc of aAll) and reused
     * by every column block instead of being repacked per block.
     */
    private static void rectangle(GemmArgs g, int i0, int i1, int j0, int j1, float[] packedB, int packedOff, float[] packedA,
                                  int aOff) {
        int k = g.k();
        int kcStep = ceilDiv(k, ceilDiv(k, KC));
        Scratch s = SCRATCH.get();
        s.ensure(kcStep, Math.min(MC, roundUp(i1 - i0, MR)), Math.min(NC, roundUp(j1 - j0, NR)));
        int rows = roundUp(i1 - i0, MR);
        boolean aOnce = j1 - j0 > NC && (long) rows * k <= A_ONCE_MAX_FLOATS;
        if (aOnce && s.aAll.length < rows * k) s.aAll = new float[rows * k];
        float[] aBuf = aOnce ? s.aAll : s.a;
        long ldcBytes = (long) g.ldc() * Float.BYTES;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                boolean add = g.accumulate() || pc > 0;
                float[] bBuf = s.b;
                int bBase = 0;
                if (packedB == null) {
                    GemmPacking.packB(g, pc, kc, jc, nc, s.b, s.staging);
                } else {
                    bBuf = packedB;                       // k <= KC: one pass over K, kc == k
                    bBase = packedOff + jc * kc;
                }
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    int aBase = aOnce ? pc * rows + (ic - i0) * kc : 0;
                    if (packedA != null) {
                        aBuf = packedA;                   // k <= KC as well: row ic's panel at aOff + ic·k
                        aBase = aOff + ic * kc;
                    } else if (!aOnce || jc == j0) {
                        GemmPacking.packA(g, ic, mc, pc, kc, aBuf, aBase, s.staging);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            GemmKernel.tile(kc, aBuf, aBase + ir * kc, bBuf, bBase + jr * kc, s.tile);
                            GemmKernel.writeBack(s.tile, Math.min(MR, mc - ir), cols,
                                    g.c(), g.cAt(ic + ir, jc + jr), ldcBytes, add);
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    private static int roundUp(int a, int b) { return ceilDiv(a, b) * b; }
}
