package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.V;
import static io.liquid4j.tensor.cpu.GemmKernel.MR;
import static io.liquid4j.tensor.cpu.GemmKernel.NR;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Copies blocks of op(A) and op(B) into the micro-panel order the micro-kernel reads: panel q
 * of width R (MR for A, NR for B) holds element (p, r) at q·R·kc + p·R + r, zero-padded to a
 * whole R so edge tiles run the same kernel. A 16-bit B is decoded to f32 on the way.
 *
 * <p>Every source is read as contiguous rows with vector loads: either rows that run along
 * the panels (non-transposed B, transposed A) or rows that run along k (transposed B, the
 * nn.Linear weight; non-transposed A), which are transposed through a small L1-resident tile.
 */
final class GemmPacking {
    /** Values of k per transposing step: the tile is R × CHUNK floats (8 KiB for R = NR = 32). */
    static final int CHUNK = 64;

    private GemmPacking() {}

    /** Floats of staging space {@link #packA}/{@link #packB} need for blocks up to mc × nc. */
    static int stagingSize(int mc, int nc) {
        return Math.max(Math.max(mc, nc), Math.max(MR, NR) * CHUNK);
    }

    /** Packs op(A)[i0, i0+mc) × [p0, p0+kc) as MR-row micro-panels. */
    static void packA(GemmArgs g, int i0, int mc, int p0, int kc, float[] dst, float[] staging) {
        long stride = (long) g.lda() * Float.BYTES;
        if (g.transA()) alongPanels(g.a(), g.aAt(i0, p0), stride, DType.F32, kc, mc, MR, dst, staging);
        else acrossPanels(g.a(), g.aAt(i0, p0), stride, DType.F32, kc, mc, MR, dst, staging);
    }

    /** Packs op(B)[p0, p0+kc) × [j0, j0+nc) as NR-column micro-panels. */
    static void packB(GemmArgs g, int p0, int kc, int j0, int nc, float[] dst, float[] staging) {
        long stride = (long) g.ldb() * g.bType().byteSize();
        if (g.transB()) acrossPanels(g.b(), g.bAt(p0, j0), stride, g.bType(), kc, nc, NR, dst, staging);
        else alongPanels(g.b(), g.bAt(p0, j0), stride, g.bType(), kc, nc, NR, dst, staging);
    }

    /** Source row p (at off + p·stride) holds the width panel-direction elements of step p. */
    private static void alongPanels(MemorySegment seg, long off, long stride, DType type, int kc, int width, int r,
                                    float[] dst, float[] row) {
        int panels = (width + r - 1) / r, tail = width - (panels - 1) * r;
        for (int p = 0; p < kc; p++) {
            decodeRow(seg, off + p * stride, type, width, row, 0);
            for (int q = 0; q < panels; q++) {
                int d = q * r * kc + p * r, s = q * r, n = q == panels - 1 ? tail : r;
                for (int i = 0; i < n; i++) dst[d + i] = row[s + i];
                for (int i = n; i < r; i++) dst[d + i] = 0f;
            }
        }
    }

    /**
     * Source row i (at off + i·stride) holds kc consecutive steps of panel-direction element i.
     * CHUNK steps of up to r rows are decoded into tile, then written out step by step, so the
     * strided reads hit L1 and the writes are contiguous.
     */
    private static void acrossPanels(MemorySegment seg, long off, long stride, DType type, int kc, int width, int r,
                                     float[] dst, float[] tile) {
        long es = type.byteSize();
        for (int q = 0; q * r < width; q++) {
            int rows = Math.min(r, width - q * r), base = q * r * kc;
            for (int pc = 0; pc < kc; pc += CHUNK) {
                int len = Math.min(CHUNK, kc - pc);
                for (int i = 0; i < rows; i++) {
                    decodeRow(seg, off + (long) (q * r + i) * stride + pc * es, type, len, tile, i * CHUNK);
                }
                for (int p = 0; p < len; p++) {
                    int d = base + (pc + p) * r;
                    for (int i = 0; i < rows; i++) dst[d + i] = tile[i * CHUNK + p];
                    for (int i = rows; i < r; i++) dst[d + i] = 0f;
                }
            }
        }
    }

    /**
     * Decodes n contiguous elements at byte offset off into out[at, at+n). Vector loads even for
     * F32: MemorySegment.copy into an array costs tens of nanoseconds per call in checks, as much
     * as the copy itself for the 64-element rows of the transposing path.
     */
    static void decodeRow(MemorySegment seg, long off, DType type, int n, float[] out, int at) {
        // One loop per dtype: a vector that could come from any of three decoders would merge
        // at a phi, which defeats the JIT's vector box elimination (measured: BF16 GEMV at
        // 1.6 GB/s instead of 7+ once F32 had also run in the same JVM).
        int es = type.byteSize(), p = 0;
        switch (type) {
            case F32 -> {
                for (; p <= n - V; p += V) FloatVector.fromMemorySegment(GemmDecode.F, seg, off + (long) p * es, ByteOrder.LITTLE_ENDIAN).intoArray(out, at + p);
            }
            case BF16 -> {
                for (; p <= n - V; p += V) GemmDecode.bf16(seg, off + (long) p * es).intoArray(out, at + p);
            }
            case F16 -> {
                for (; p <= n - V; p += V) GemmDecode.f16(seg, off + (long) p * es).intoArray(out, at + p);
            }
            default -> throw new IllegalArgumentException("unsupported GEMM operand type " + type);
        }
        for (; p < n; p++) out[at + p] = GemmDecode.scalar(seg, off + (long) p * es, type);
    }
}
