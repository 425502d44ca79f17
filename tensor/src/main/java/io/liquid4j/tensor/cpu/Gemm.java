package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Single-precision matrix multiply on the CPU: C[m,n] (+)= op(A)[m,k] · op(B)[k,n].
 *
 * <p>Small m (decode-time matrix-vector products) goes to a bandwidth-bound path that streams
 * B once ({@link GemmGemv}); everything else to the cache-blocked, packed, register-tiled
 * path ({@link GemmBlocked}). Both split work across {@link CpuThreads}, unless a segment is
 * confined to the calling thread (Arena.ofConfined), in which case everything runs on it.
 */
public final class Gemm {
    /** Never started: only asks whether a segment is confined to its owner thread. */
    private static final Thread SOME_OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private Gemm() {}

    /**
     * C[m,n] (+)= op(A)[m,k] · op(B)[k,n], row-major, f32 accumulation.
     * A is F32. B is F32, BF16 or F16 (decoded inside the kernel: no f32 copy of a 16-bit B is made).
     * transA: A stored as [k,m] (element (i,p) at aOff + (p*lda + i)*4) instead of [m,k] (aOff + (i*lda+p)*4).
     * transB: B stored as [n,k] (the nn.Linear weight layout: element (p,j) at (j*ldb + p)) instead of [k,n].
     * Offsets are in BYTES, leading dimensions in ELEMENTS. C is F32. accumulate=false overwrites C.
     * Handles any m,n,k >= 0 (k==0: C zeroed, or unchanged when accumulating) and lda/ldb/ldc >= row length.
     */
    public static void gemm(int m, int n, int k,
                            MemorySegment a, long aOff, int lda, boolean transA,
                            MemorySegment b, long bOff, int ldb, boolean transB, DType bType,
                            MemorySegment c, long cOff, int ldc, boolean accumulate) {
        run(check(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, bType, c, cOff, ldc, accumulate, null));
    }

    /**
     * {@link #gemm} with an indirect B: row p of the [k, n] B is the n contiguous elements at byte
     * offset bRows[p] of b (rows may overlap or repeat). A convolution is one such GEMM over a
     * padded input, row (channel, tap) starting at that tap's shift: im2col without the copy.
     */
    public static void gemmIndirectB(int m, int n, int k,
                                     MemorySegment a, long aOff, int lda, boolean transA,
                                     MemorySegment b, long[] bRows, DType bType,
                                     MemorySegment c, long cOff, int ldc, boolean accumulate) {
        Objects.requireNonNull(bRows, "bRows");
        if (bRows.length < k) throw new IllegalArgumentException("gemm: " + bRows.length + " B row offsets for k=" + k);
        for (int p = 0; p < k; p++) {
            if (bRows[p] < 0 || bRows[p] + (long) n * bType.byteSize() > b.byteSize()) {
                throw new IllegalArgumentException("gemm: B row " + p + " at byte " + bRows[p] + " (+" + n + " elements) lies outside b ("
                        + b.byteSize() + " bytes)");
            }
        }
        run(check(m, n, k, a, aOff, lda, transA, b, 0, n, false, bType, c, cOff, ldc, accumulate, bRows.clone()));
    }

    /**
     * C[m,n] = A[m,k]·B (overwrite; A row-major F32) with B given already packed as NR-column
     * panels: panel q at packedOff + q·{@link #packedPanelWidth()}·k, element (p, r) at + p·NR + r,
     * columns past n in the last panel ignored. k must not exceed {@link #maxPackedDepth()}.
     */
    public static void gemmPrepackedB(int m, int n, int k, MemorySegment a, long aOff, int lda,
                                      float[] packedB, int packedOff, MemorySegment c, long cOff, int ldc) {
        Objects.requireNonNull(packedB, "packedB");
        long need = (long) packedOff + (long) (n + GemmKernel.NR - 1) / GemmKernel.NR * GemmKernel.NR * k;
        if (packedOff < 0 || need > packedB.length) {
            throw new IllegalArgumentException("gemm: packed B needs " + need + " floats from " + packedOff + ", has " + packedB.length);
        }
        GemmArgs g = check(m, n, k, a, aOff, lda, false, MemorySegment.ofArray(packedB), 0, n, false, DType.F32, c, cOff, ldc, false, null);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            zero(g);
            return;
        }
        GemmBlocked.multiplyPrepacked(g, packedB, packedOff);
    }

    /**
     * A[m,k] (row-major F32 at aOff, row stride lda; k ≤ {@link #maxPackedDepth()}) packed once for
     * {@link #gemmPrepacked}: a product repeated against many Bs packs its A only here.
     */
    public static float[] packA(int m, int k, MemorySegment a, long aOff, int lda) {
        GemmArgs g = check(m, 1, k, a, aOff, lda, false, a, aOff, 1, false, DType.F32, MemorySegment.ofArray(new float[Math.max(1, m)]), 0, 1, false, null);
        return GemmBlocked.packA(g);
    }

    /**
     * {@link #gemmPrepackedB} with A packed by {@link #packA} (m rows, the same k): C = A·B,
     * overwritten. The bits are those of gemmPrepackedB on the unpacked A.
     */
    public static void gemmPrepacked(int m, int n, int k, float[] packedA, int aOff, float[] packedB, int packedOff,
                                     MemorySegment c, long cOff, int ldc) {
        Objects.requireNonNull(packedA, "packedA");
        Objects.requireNonNull(packedB, "packedB");
        long needA = (long) aOff + (long) (m + GemmKernel.MR - 1) / GemmKernel.MR * GemmKernel.MR * k;
        long needB = (long) packedOff + (long) (n + GemmKernel.NR - 1) / GemmKernel.NR * GemmKernel.NR * k;
        if (aOff < 0 || needA > packedA.length) throw new IllegalArgumentException("gemm: packed A needs " + needA + " floats from " + aOff + ", has " + packedA.length);
        if (packedOff < 0 || needB > packedB.length) throw new IllegalArgumentException("gemm: packed B needs " + needB + " floats from " + packedOff + ", has " + packedB.length);
        MemorySegment aSeg = MemorySegment.ofArray(packedA);
        GemmArgs g = check(m, n, k, aSeg, 0, k, false, MemorySegment.ofArray(packedB), 0, n, false, DType.F32, c, cOff, ldc, false, null);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            zero(g);
            return;
        }
        GemmBlocked.multiplyPrepacked(g, packedB, packedOff, packedA, aOff);
    }

    /** Columns per panel of a prepacked B (NR of the micro-kernel). */
    public static int packedPanelWidth() { return GemmKernel.NR; }

    /** Largest k {@link #gemmPrepackedB} takes (one pass over K). */
    public static int maxPackedDepth() { return GemmBlocked.KC; }

    /**
     * Products that share op(A), each a {@link #gemm} without accumulation and B stored [n, k], as
     * one parallel job where every one is decode-sized ({@link GemmGemv#multiplyAll}: the same
     * bits as one gemm call each); false, with nothing done, where any is not.
     */
    static boolean gemvAll(GemmArgs[] gs) {
        GemmArgs g0 = gs[0];
        for (GemmArgs g : gs) {
            if (g.m() == 0 || g.n() == 0 || g.k() == 0 || g.accumulate() || !g.transB() || g.bRows() != null || g.bType() != g0.bType()
                    || g.m() != g0.m() || g.k() != g0.k() || g.a() != g0.a() || g.aOff() != g0.aOff() || g.lda() != g0.lda()
                    || g.transA() != g0.transA() || !GemmGemv.suits(g)) {
                return false;
            }
        }
        GemmGemv.multiplyAll(gs);
        return true;
    }

    /** {@link #gemm}'s operands, checked as gemm checks them, for {@link #gemvAll}. */
    static GemmArgs args(int m, int n, int k,
                         MemorySegment a, long aOff, int lda, boolean transA,
                         MemorySegment b, long bOff, int ldb, boolean transB, DType bType,
                         MemorySegment c, long cOff, int ldc) {
        return check(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, bType, c, cOff, ldc, false, null);
    }

    private static void run(GemmArgs g) {
        int m = g.m(), n = g.n(), k = g.k();
        boolean accumulate = g.accumulate();
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) zero(g);
            return;
        }
        if (GemmGemv.suits(g)) GemmGemv.multiply(g);
        else GemmBlocked.multiply(g);
    }

    /** Naive triple loop with the same contract as {@link #gemm}, accumulating in double: the test reference. */
    public static void gemmReference(int m, int n, int k,
                                     MemorySegment a, long aOff, int lda, boolean transA,
                                     MemorySegment b, long bOff, int ldb, boolean transB, DType bType,
                                     MemorySegment c, long cOff, int ldc, boolean accumulate) {
        GemmArgs g = check(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, bType, c, cOff, ldc, accumulate, null);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = accumulate ? c.get(GemmDecode.F32_LE, g.cAt(i, j)) : 0.0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a.get(GemmDecode.F32_LE, g.aAt(i, p)) * GemmDecode.scalar(b, g.bAt(p, j), bType);
                }
                c.set(GemmDecode.F32_LE, g.cAt(i, j), (float) sum);
            }
        }
    }

    private static void zero(GemmArgs g) {
        for (int i = 0; i < g.m(); i++) {
            g.c().asSlice(g.cAt(i, 0), (long) g.n() * Float.BYTES).fill((byte) 0);
        }
    }

    private static GemmArgs check(int m, int n, int k,
                                  MemorySegment a, long aOff, int lda, boolean transA,
                                  MemorySegment b, long bOff, int ldb, boolean transB, DType bType,
                                  MemorySegment c, long cOff, int ldc, boolean accumulate, long[] bRows) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
        if (bType != DType.F32 && bType != DType.BF16 && bType != DType.F16) {
            throw new IllegalArgumentException("gemm B must be F32, BF16 or F16, got " + bType);
        }
        checkLd("lda", lda, transA ? m : k);
        checkLd("ldb", ldb, transB ? k : n);
        checkLd("ldc", ldc, n);
        if (aOff < 0 || bOff < 0 || cOff < 0) {
            throw new IllegalArgumentException("gemm offsets must be >= 0");
        }
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(c, "c");
        boolean parallel = a.isAccessibleBy(SOME_OTHER_THREAD) && b.isAccessibleBy(SOME_OTHER_THREAD)
                && c.isAccessibleBy(SOME_OTHER_THREAD);
        return new GemmArgs(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, bType, c, cOff, ldc, accumulate, parallel, bRows);
    }

    private static void checkLd(String name, int ld, int rowLength) {
        if (ld < rowLength) {
            throw new IllegalArgumentException("gemm " + name + "=" + ld + " is shorter than a row (" + rowLength + ")");
        }
    }
}
