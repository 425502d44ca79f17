package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmKernel.MR;
import static io.liquid4j.tensor.cpu.GemmKernel.NR;

/**
 * Cache-blocked GEMM (the Goto/BLIS loop nest) for the general case.
 *
 * <pre>
 * for jc in N step NC        B block KC×NC packed once per (jc, pc): lives in L2/L3
 *   for pc in K step KC
 *     pack B
 *     for ic in M step MC    A block MC×KC packed: lives in L2
 *       pack A
 *       for jr in NC step NR   B micro-panel KC×NR stays in L1 across the ir loop
 *         for ir in MC step MR   MR×NR C tile in registers
 * </pre>
 *
 * Block sizes for this class of core (32 KiB L1d, 1 MiB L2): see the constants. Threads each
 * take one rectangle of C and run the whole loop nest on it with their own packed buffers; the
 * duplicated packing costs O(k·(m+n)) against O(m·n·k) of compute.
 */
final class GemmBlocked {
    /** Depth of a packed block: a KC×NR B micro-panel (KC·NR·4 bytes) must stay resident in L1. */
    static final int KC = Integer.getInteger("liquid4j.gemm.kc", 256);
    /** Rows of a packed A block: MC×KC floats sit in L2 next to the B panel being streamed. */
    static final int MC = roundUp(Integer.getInteger("liquid4j.gemm.mc", 120), MR);
    /** Columns of a packed B block: KC×NC floats, reused by all MC-blocks of A. */
    static final int NC = roundUp(Integer.getInteger("liquid4j.gemm.nc", 2048), NR);
    /** Below this many multiply-adds a single thread is faster than handing work to the pool. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Per-thread packing buffers, grown on first use and reused by every later call. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] row = new float[KC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private GemmBlocked() {}

    static void multiply(GemmArgs g) {
        int m = g.m(), n = g.n();
        int panelsM = ceilDiv(m, MR), panelsN = ceilDiv(n, NR);
        int threads = (long) m * n * g.k() < PARALLEL_MIN_MACS ? 1 : CpuThreads.threads();
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
        int gm = gridM, gn = gridN;
        int rects = gm * gn;
        CpuThreads.parallelFor(rects, 1, (start, end) -> {
            for (int t = start; t < end; t++) {
                int tm = t / gn, tn = t % gn;
                int i0 = Math.min(m, (int) ((long) panelsM * tm / gm) * MR);
                int i1 = Math.min(m, (int) ((long) panelsM * (tm + 1) / gm) * MR);
                int j0 = Math.min(n, (int) ((long) panelsN * tn / gn) * NR);
                int j1 = Math.min(n, (int) ((long) panelsN * (tn + 1) / gn) * NR);
                if (i0 < i1 && j0 < j1) rectangle(g, i0, i1, j0, j1);
            }
        });
    }

    /** C[i0,i1)×[j0,j1) on the calling thread. */
    private static void rectangle(GemmArgs g, int i0, int i1, int j0, int j1) {
        Scratch s = SCRATCH.get();
        long ldcBytes = (long) g.ldc() * Float.BYTES;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < g.k(); pc += KC) {
                int kc = Math.min(KC, g.k() - pc);
                boolean add = g.accumulate() || pc > 0;
                GemmPacking.packB(g, pc, kc, jc, nc, s.b, s.row);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    GemmPacking.packA(g, ic, mc, pc, kc, s.a, s.row);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir);
                            GemmKernel.tile(kc, s.a, ir * kc, s.b, jr * kc, s.tile);
                            GemmKernel.writeBack(s.tile, rows, cols, g.c(), g.cAt(ic + ir, jc + jr), ldcBytes, add);
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    private static int roundUp(int a, int b) { return ceilDiv(a, b) * b; }
}
