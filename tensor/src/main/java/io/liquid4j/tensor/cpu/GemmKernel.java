package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * The register-blocked micro-kernel: one MR×NR tile of C from a packed A micro-panel
 * (kc steps of MR floats) and a packed B micro-panel (kc steps of NR floats), NR = 2 vectors.
 *
 * <p>MR follows the register file. With 16 vector registers (AVX2): MR = 4, so 8 accumulators
 * + 2 B vectors + 1 broadcast = 11 registers; a 6-row tile (15) spills under C2 (measured on
 * Zen 4 with AVX2: 46 vs 103 GFLOP/s per core). With 32 registers (AVX-512, 16-float vectors):
 * MR = 8, 16 accumulators + 3 = 19 registers, which halves the bytes of packed panels read
 * per FMA (the kc×NR B micro-panel is streamed from L2 once per A micro-panel): at 4096³ the
 * 4-row tile lost about 10% to it. Either way there are enough independent FMA chains to
 * cover the 4-cycle FMA latency.
 */
final class GemmKernel {
    /** Rows of the C tile. */
    static final int MR = V >= 16 ? 8 : 4;
    /** Columns of the C tile: two vectors. */
    static final int NR = 2 * V;

    private GemmKernel() {}

    /**
     * Computes the tile into out[0, MR*NR) (row stride NR). The epilogue only stores to a heap
     * array on purpose: more code after the loop (memory-segment loads/stores of C) trips C2's
     * inlining node budget, and an accumulator that escapes to a non-inlined call gets boxed on
     * every loop iteration. Likewise each accumulator starts from its own zero(): sharing one
     * initial vector across the loop phis also defeats box elimination.
     * {@link #writeBack} merges the tile into C.
     */
    static void tile(int kc, float[] a, int aBase, float[] b, int bBase, float[] out) {
        if (MR == 8) tile8(kc, a, aBase, b, bBase, out);
        else tile4(kc, a, aBase, b, bBase, out);
    }

    private static void tile4(int kc, float[] a, int aBase, float[] b, int bBase, float[] out) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            int ap = aBase + p * 4, bp = bBase + p * NR;
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
        c00.intoArray(out, 0);
        c01.intoArray(out, V);
        c10.intoArray(out, NR);
        c11.intoArray(out, NR + V);
        c20.intoArray(out, 2 * NR);
        c21.intoArray(out, 2 * NR + V);
        c30.intoArray(out, 3 * NR);
        c31.intoArray(out, 3 * NR + V);
    }

    private static void tile8(int kc, float[] a, int aBase, float[] b, int bBase, float[] out) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            int ap = aBase + p * 8, bp = bBase + p * NR;
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
            av = FloatVector.broadcast(F, a[ap + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(F, a[ap + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(F, a[ap + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(F, a[ap + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        c00.intoArray(out, 0);
        c01.intoArray(out, V);
        c10.intoArray(out, NR);
        c11.intoArray(out, NR + V);
        c20.intoArray(out, 2 * NR);
        c21.intoArray(out, 2 * NR + V);
        c30.intoArray(out, 3 * NR);
        c31.intoArray(out, 3 * NR + V);
        c40.intoArray(out, 4 * NR);
        c41.intoArray(out, 4 * NR + V);
        c50.intoArray(out, 5 * NR);
        c51.intoArray(out, 5 * NR + V);
        c60.intoArray(out, 6 * NR);
        c61.intoArray(out, 6 * NR + V);
        c70.intoArray(out, 7 * NR);
        c71.intoArray(out, 7 * NR + V);
    }

    /**
     * Stores the rows×cols corner of a computed tile into C at byte offset cOff (row stride
     * ldcBytes), adding to C when add is true.
     */
    static void writeBack(float[] tile, int rows, int cols, MemorySegment c, long cOff, long ldcBytes, boolean add) {
        for (int r = 0; r < rows; r++) {
            long off = cOff + r * ldcBytes;
            int j = 0;
            for (; j <= cols - V; j += V) {
                FloatVector v = FloatVector.fromArray(F, tile, r * NR + j);
                long o = off + (long) j * Float.BYTES;
                if (add) v = v.add(FloatVector.fromMemorySegment(F, c, o, ByteOrder.LITTLE_ENDIAN));
                v.intoMemorySegment(c, o, ByteOrder.LITTLE_ENDIAN);
            }
            for (; j < cols; j++) {
                long o = off + (long) j * Float.BYTES;
                float v = tile[r * NR + j];
                c.set(GemmDecode.F32_LE, o, add ? c.get(GemmDecode.F32_LE, o) + v : v);
            }
        }
    }
}
