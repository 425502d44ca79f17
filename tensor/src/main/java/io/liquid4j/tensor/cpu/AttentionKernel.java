package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import jdk.incubator.vector.FloatVector;

/**
 * The register-blocked micro-GEMM of the attention kernels: C[rows][NR] += A[rows][kc] ·
 * B[kc][NR] on f32 heap tiles, B and C in NR-wide panels (row stride NR), A read by scalar
 * broadcasts in whichever layout the operand already has, so no attention tile is ever
 * transposed for it: {@link #rowsA} when A's rows run along k (a[r·lda + p]: the K, Q, V and dO
 * tiles as decoded), {@link #colsA} when they run across k (a[p·lda + r]: V, K, dO, Q used
 * "transposed" as the left operand of P·V, dS·K, Pᵀ·dO, dSᵀ·Q).
 *
 * <p>MR = 4 rows × 2 vectors: 8 accumulators + 2 B vectors + 1 broadcast fit the 16 registers
 * of AVX2 and give the 8 independent FMA chains that cover the FMA latency. The B panel of an
 * attention tile (kc ≤ a few hundred × NR floats) stays in L1, so the 8-row AVX-512 tile of
 * {@link GemmKernel} saves no panel traffic here: measured, it ran the forward and backward no
 * faster. Accumulators are loaded from and stored to C (heap arrays only, each from its own
 * load: see GemmKernel for why C2 needs both).
 */
final class AttentionKernel {
    /** Columns of a tile: two vectors (32 f32 with AVX-512, 16 with AVX2). */
    static final int NR = 2 * V;
    /** Rows of a register block. */
    static final int MR = 4;

    private AttentionKernel() {}

    /** c[cAt + r·NR + j] += Σ_{p<kc} a[aAt + r·lda + p] · b[bAt + p·NR + j] for r < rows, j < NR. */
    static void rowsA(int rows, int kc, float[] a, int aAt, int lda, float[] b, int bAt, float[] c, int cAt) {
        int r = 0;
        for (; r + MR <= rows; r += MR) rows4(kc, a, aAt + r * lda, lda, b, bAt, c, cAt + r * NR);
        for (; r < rows; r++) row(kc, a, aAt + r * lda, 1, b, bAt, c, cAt + r * NR);
    }

    /** c[cAt + r·NR + j] += Σ_{p<kc} a[aAt + p·lda + r] · b[bAt + p·NR + j] for r < rows, j < NR. */
    static void colsA(int rows, int kc, float[] a, int aAt, int lda, float[] b, int bAt, float[] c, int cAt) {
        int r = 0;
        for (; r + MR <= rows; r += MR) cols4(kc, a, aAt + r, lda, b, bAt, c, cAt + r * NR);
        for (; r < rows; r++) row(kc, a, aAt + r, lda, b, bAt, c, cAt + r * NR);
    }

    private static void rows4(int kc, float[] a, int a0, int lda, float[] b, int bAt, float[] c, int cAt) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        FloatVector c00 = FloatVector.fromArray(F, c, cAt), c01 = FloatVector.fromArray(F, c, cAt + V);
        FloatVector c10 = FloatVector.fromArray(F, c, cAt + NR), c11 = FloatVector.fromArray(F, c, cAt + NR + V);
        FloatVector c20 = FloatVector.fromArray(F, c, cAt + 2 * NR), c21 = FloatVector.fromArray(F, c, cAt + 2 * NR + V);
        FloatVector c30 = FloatVector.fromArray(F, c, cAt + 3 * NR), c31 = FloatVector.fromArray(F, c, cAt + 3 * NR + V);
        for (int p = 0; p < kc; p++) {
            int bp = bAt + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + V);
            FloatVector av = FloatVector.broadcast(F, a[a0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(F, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(F, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(F, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, cAt);
        c01.intoArray(c, cAt + V);
        c10.intoArray(c, cAt + NR);
        c11.intoArray(c, cAt + NR + V);
        c20.intoArray(c, cAt + 2 * NR);
        c21.intoArray(c, cAt + 2 * NR + V);
        c30.intoArray(c, cAt + 3 * NR);
        c31.intoArray(c, cAt + 3 * NR + V);
    }

    private static void cols4(int kc, float[] a, int aAt, int lda, float[] b, int bAt, float[] c, int cAt) {
        FloatVector c00 = FloatVector.fromArray(F, c, cAt), c01 = FloatVector.fromArray(F, c, cAt + V);
        FloatVector c10 = FloatVector.fromArray(F, c, cAt + NR), c11 = FloatVector.fromArray(F, c, cAt + NR + V);
        FloatVector c20 = FloatVector.fromArray(F, c, cAt + 2 * NR), c21 = FloatVector.fromArray(F, c, cAt + 2 * NR + V);
        FloatVector c30 = FloatVector.fromArray(F, c, cAt + 3 * NR), c31 = FloatVector.fromArray(F, c, cAt + 3 * NR + V);
        for (int p = 0; p < kc; p++) {
            int ap = aAt + p * lda, bp = bAt + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + V);
            FloatVector av = FloatVector.broadcast(F, a[ap]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(F, a[ap + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(F, a[ap + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(F, a[ap + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, cAt);
        c01.intoArray(c, cAt + V);
        c10.intoArray(c, cAt + NR);
        c11.intoArray(c, cAt + NR + V);
        c20.intoArray(c, cAt + 2 * NR);
        c21.intoArray(c, cAt + 2 * NR + V);
        c30.intoArray(c, cAt + 3 * NR);
        c31.intoArray(c, cAt + 3 * NR + V);
    }

    /** One row of C, a[aAt + p·step]: the leftover rows of a block (head dims like 9 or 80 with AVX2, a last key). */
    private static void row(int kc, float[] a, int aAt, int step, float[] b, int bAt, float[] c, int cAt) {
        FloatVector c0 = FloatVector.fromArray(F, c, cAt), c1 = FloatVector.fromArray(F, c, cAt + V);
        for (int p = 0; p < kc; p++) {
            FloatVector av = FloatVector.broadcast(F, a[aAt + p * step]);
            c0 = av.fma(FloatVector.fromArray(F, b, bAt + p * NR), c0);
            c1 = av.fma(FloatVector.fromArray(F, b, bAt + p * NR + V), c1);
        }
        c0.intoArray(c, cAt);
        c1.intoArray(c, cAt + V);
    }
}
