package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F32_LE;
import static io.liquid4j.tensor.cpu.GemmDecode.V;
import static io.liquid4j.tensor.cpu.GemmKernel.MR;
import static io.liquid4j.tensor.cpu.GemmKernel.NR;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Copies blocks of op(A) and op(B) into the contiguous micro-panel order the micro-kernel
 * reads (see {@link GemmKernel}), decoding a 16-bit B to f32 on the way. Panels are padded
 * with zeros to a whole MR/NR so edge tiles run the same kernel.
 *
 * <p>A strided source row (a row of non-transposed A, a row of transposed B) is first decoded
 * into a contiguous heap row with vector loads, then spread into the panel from the heap,
 * which keeps the per-element work on plain array accesses.
 */
final class GemmPacking {
    /** Values of k per step of the transposed B packing (CHUNK × NR floats = 8 KiB at NR = 32). */
    private static final int CHUNK = 64;

    private GemmPacking() {}

    /**
     * Packs op(A)[i0, i0+mc) × [p0, p0+kc) as MR-row micro-panels:
     * element (r, p) of panel q lands at dst[q*MR*kc + p*MR + r].
     */
    static void packA(GemmArgs g, int i0, int mc, int p0, int kc, float[] dst, float[] row) {
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir), base = ir * kc;
            if (g.transA()) {
                // op(A) row i is a column of the stored [k, m] matrix: MR consecutive floats per p.
                for (int p = 0; p < kc; p++) {
                    long off = g.aAt(i0 + ir, p0 + p);
                    int d = base + p * MR;
                    for (int r = 0; r < rows; r++) dst[d + r] = g.a().get(F32_LE, off + (long) r * Float.BYTES);
                    for (int r = rows; r < MR; r++) dst[d + r] = 0f;
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    decodeRow(g.a(), g.aAt(i0 + ir + r, p0), DType.F32, kc, row);
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = row[p];
                }
                for (int r = rows; r < MR; r++) {
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /**
     * Packs op(B)[p0, p0+kc) × [j0, j0+nc) as NR-column micro-panels:
     * element (p, j) of panel q lands at dst[q*NR*kc + p*NR + j].
     */
    static void packB(GemmArgs g, int p0, int kc, int j0, int nc, float[] dst, float[] row) {
        DType type = g.bType();
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr), base = jr * kc;
            if (g.transB()) {
                // Stored [n, k]: each column of op(B) is a contiguous row of the weight. Going
                // CHUNK values of k at a time keeps the destination lines (CHUNK × NR floats) in L1
                // while all NR rows are spread into them.
                for (int pc = 0; pc < kc; pc += CHUNK) {
                    int len = Math.min(CHUNK, kc - pc), d = base + pc * NR;
                    for (int j = 0; j < cols; j++) {
                        decodeRow(g.b(), g.bAt(p0 + pc, j0 + jr + j), type, len, row);
                        for (int p = 0; p < len; p++) dst[d + p * NR + j] = row[p];
                    }
                    for (int p = 0; p < len; p++) Arrays.fill(dst, d + p * NR + cols, d + (p + 1) * NR, 0f);
                }
            } else if (cols == NR) {
                long step = (long) V * type.byteSize();
                for (int p = 0; p < kc; p++) {
                    long off = g.bAt(p0 + p, j0 + jr);
                    int d = base + p * NR;
                    GemmDecode.load(g.b(), off, type).intoArray(dst, d);
                    GemmDecode.load(g.b(), off + step, type).intoArray(dst, d + V);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    long off = g.bAt(p0 + p, j0 + jr);
                    int d = base + p * NR;
                    for (int j = 0; j < cols; j++) {
                        dst[d + j] = GemmDecode.scalar(g.b(), off + (long) j * type.byteSize(), type);
                    }
                    Arrays.fill(dst, d + cols, d + NR, 0f);
                }
            }
        }
    }

    /** Decodes n contiguous elements at byte offset off into row[0, n). */
    static void decodeRow(MemorySegment seg, long off, DType type, int n, float[] row) {
        if (type == DType.F32) {
            MemorySegment.copy(seg, F32_LE, off, row, 0, n);
            return;
        }
        int es = type.byteSize(), p = 0;
        for (; p <= n - V; p += V) GemmDecode.load(seg, off + (long) p * es, type).intoArray(row, p);
        for (; p < n; p++) row[p] = GemmDecode.scalar(seg, off + (long) p * es, type);
    }
}
