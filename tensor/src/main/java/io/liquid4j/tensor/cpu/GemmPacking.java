package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;
import static io.liquid4j.tensor.cpu.GemmKernel.MR;
import static io.liquid4j.tensor.cpu.GemmKernel.NR;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.IntBinaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of op(A) and op(B) into the micro-panel order the micro-kernel reads: panel q
 * of width R (MR for A, NR for B) holds element (p, r) at q·R·kc + p·R + r, zero-padded to a
 * whole R so edge tiles run the same kernel. A 16-bit B is decoded to f32 on the way.
 *
 * <p>Every source is read as contiguous rows with vector loads: either rows that run along
 * the panels (non-transposed B, transposed A) or rows that run along k (non-transposed A, and
 * the transposed B that is the nn.Linear weight), which are transposed in registers.
 */
final class GemmPacking {
    /** MR floats: one store per step of an MR-row panel group. */
    private static final VectorSpecies<Float> MR_WIDE = VectorSpecies.of(float.class, VectorShape.forBitSize(MR * Float.SIZE));
    /**
     * Lane selectors over two vectors (index ≥ V picks from the second): ZIP_LO/HI interleave
     * the low/high halves lane by lane, PAIRS_LO/HI two lanes at a time, QUADS_LO/HI four.
     */
    private static final FloatVector ZIP_LO = selector((lane, v) -> (lane & 1) * v + lane / 2);
    private static final FloatVector ZIP_HI = selector((lane, v) -> (lane & 1) * v + v / 2 + lane / 2);
    private static final FloatVector PAIRS_LO = selector((lane, v) -> (lane >> 1 & 1) * v + lane / 4 * 2 + (lane & 1));
    private static final FloatVector PAIRS_HI = selector((lane, v) -> (lane >> 1 & 1) * v + v / 2 + lane / 4 * 2 + (lane & 1));
    private static final FloatVector QUADS_LO = selector((lane, v) -> (lane >> 2 & 1) * v + lane / 8 * 4 + (lane & 3));
    private static final FloatVector QUADS_HI = selector((lane, v) -> (lane >> 2 & 1) * v + v / 2 + lane / 8 * 4 + (lane & 3));

    static {
        if ((MR != 4 && MR != 8) || V < MR || NR % MR != 0) {
            throw new ExceptionInInitializerError("transposeRows needs MR = 4 or 8, MR <= V, NR a multiple of MR");
        }
    }

    private GemmPacking() {}

    /**
     * Floats of staging space {@link #packA}/{@link #packB} need for blocks up to kc × mc and
     * kc × nc: a decoded row of B, {@link #STEPS} decoded rows of a transposed A, or a transposed
     * NR-row slab of B plus MR decoded rows.
     */
    static int stagingSize(int kc, int mc, int nc) {
        return Math.max(Math.max(STEPS * mc, nc), (NR + MR) * kc);
    }

    /**
     * Steps of k a transposed A is packed in per pass, panel after panel, so that each MR-row
     * panel gets one contiguous run of STEPS·MR floats. One step of a panel is MR floats (16 bytes
     * on AVX2, a quarter of a cache line) and the panels lie MR·kc floats apart (16 KiB at
     * kc = 1024): one step's stores all fell into the same L1 set and evicted each other's lines
     * long before they were full. The weight-gradient GEMM of a Linear (dW = dYᵀ·X) at the demo
     * LM's shape took 5-8% less time on one thread (LinearGemmBench; BENCHMARKS.md, "Packing panels in runs").
     * A plain B needs no such pass: a step of its NR-wide panel is whole cache lines.
     */
    static final int STEPS = 16;

    /** Packs op(A)[i0, i0+mc) × [p0, p0+kc) as MR-row micro-panels at dst[at..]. */
    static void packA(GemmArgs g, int i0, int mc, int p0, int kc, float[] dst, int at, float[] staging) {
        long stride = (long) g.lda() * Float.BYTES;
        if (g.transA()) alongPanels(g.a(), g.aAt(i0, p0), stride, kc, mc, dst, at, staging);
        else transposeRows(g.a(), g.aAt(i0, p0), stride, DType.F32, kc, mc, dst, at, staging, 0);
    }

    /** Packs op(B)[p0, p0+kc) × [j0, j0+nc) as NR-column micro-panels. */
    static void packB(GemmArgs g, int p0, int kc, int j0, int nc, float[] dst, float[] staging) {
        long stride = (long) g.ldb() * g.bType().byteSize();
        if (!g.transB()) {
            alongPanels(g, p0, j0, kc, nc, dst, staging);
            return;
        }
        // Rows of the stored [n, k] weight run along k: transpose each NR-row slab as NR/MR
        // A-style panels into staging (L2), then interleave those MR-wide groups per step.
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr), base = jr * kc;
            transposeRows(g.b(), g.bAt(p0, j0 + jr), stride, g.bType(), kc, cols, staging, 0, staging, NR * kc);
            interleave(staging, kc, cols, dst, base);
        }
    }

    /**
     * The MR-wide groups of one transposed slab (staging) interleaved per step into an NR-column
     * panel at dst[base..]. A method of its own so that it is called once per slab: as a loop
     * inside packB, which a VQGAN step calls only a few dozen times, it ran in C1's profiled code
     * (its vectors allocated on the heap) for the first ~40 s of a training run until packB's
     * invocation count reached C2's threshold (-XX:+PrintCompilation; BENCHMARKS.md, "JIT recompilation storms").
     */
    private static void interleave(float[] staging, int kc, int cols, float[] dst, int base) {
        for (int p = 0; p < kc; p++) {
            for (int grp = 0; grp * MR < NR; grp++) {
                int d = base + p * NR + grp * MR;
                if (grp * MR < cols) FloatVector.fromArray(MR_WIDE, staging, grp * MR * kc + p * MR).intoArray(dst, d);
                else Arrays.fill(dst, d, d + MR, 0f);
            }
        }
    }

    /**
     * B rows p0.. (each one step of k, read at g.bAt: strided or indirect) as NR-column panels,
     * one step at a time: a step of an NR-wide panel is whole cache lines already, so each whole
     * panel's step is decoded straight into its place; only a last, partial panel goes through
     * the staging row (its lanes past width are zeros).
     */
    private static void alongPanels(GemmArgs g, int p0, int j0, int kc, int width, float[] dst, float[] row) {
        int whole = width / NR, es = g.bType().byteSize();
        for (int p = 0; p < kc; p++) {
            long off = g.bAt(p0 + p, j0);
            for (int q = 0; q < whole; q++) {
                for (int i = 0; i < NR; i += V) GemmDecode.loadInto(g.b(), off + (long) (q * NR + i) * es, g.bType(), dst, q * NR * kc + p * NR + i);
            }
            if (whole * NR < width) {
                int from = whole * NR;
                decodeRow(g.b(), off + (long) from * es, g.bType(), width - from, row, 0);
                partialPanel(row, p, 1, width - from, NR, dst, whole * NR * kc);
            }
        }
    }

    /**
     * Transposed A: source row p (F32 at off + p·stride) holds the width elements of step p,
     * {@link #STEPS} steps per pass, each whole MR-row panel's steps loaded straight from the
     * source into its contiguous run (the pass's STEPS source rows stay in L1 across the panels);
     * only a partial last panel goes through the staging rows.
     */
    private static void alongPanels(MemorySegment seg, long off, long stride, int kc, int width, float[] dst, int at, float[] staging) {
        int whole = width / MR, rest = width - whole * MR;
        for (int p = 0; p < kc; p += STEPS) {
            int steps = Math.min(STEPS, kc - p);
            for (int q = 0; q < whole; q++) {
                long src = off + p * stride + (long) q * MR * Float.BYTES;
                for (int t = 0, d = at + q * MR * kc + p * MR; t < steps; t++, d += MR) {
                    FloatVector.fromMemorySegment(MR_WIDE, seg, src + t * stride, ByteOrder.LITTLE_ENDIAN).intoArray(dst, d);
                }
            }
            if (rest > 0) {
                for (int t = 0; t < steps; t++) decodeRow(seg, off + (p + t) * stride + (long) whole * MR * Float.BYTES, DType.F32, rest, staging, t * rest);
                partialPanel(staging, p, steps, rest, MR, dst, at + whole * MR * kc);
            }
        }
    }

    /**
     * Steps p .. p + steps of a last, partial panel (n < r elements a step, step t at rows[t·n..])
     * into the width-r panel at dst[at..], its lanes past n zero. Whole panels are written
     * straight from the source by the alongPanels methods.
     */
    private static void partialPanel(float[] rows, int p, int steps, int n, int r, float[] dst, int at) {
        for (int t = 0, d = at + p * r; t < steps; t++, d += r) {
            System.arraycopy(rows, t * n, dst, d, n);
            Arrays.fill(dst, d + n, d + r, 0f);
        }
    }

    /**
     * Packs width source rows (row i at off + i·stride, kc consecutive elements) as MR-row
     * panels at dst[at..]: element (p, r) of panel q at at + q·MR·kc + p·MR + r, rows past
     * width as zeros. Each panel's rows are first decoded into buf[bufAt..] (MR·kc floats,
     * L1-sized), then transposed in registers: V steps of four rows become four vectors of (step, 4 rows)
     * through two rounds of two-vector lane selects (interleave rows 0/1 and 2/3 lane by lane,
     * then those two by pairs); with MR = 8 a third round interleaves the two four-row groups
     * by quads. Measured on Zen 4: 0.2-0.5 ns per element, against about 1 ns for a transpose
     * through scalar or gathered accesses. (Decoding in the same loop as the selects makes the
     * method too big for C2 to keep every vector in registers.)
     */
    private static void transposeRows(MemorySegment seg, long off, long stride, DType type, int kc, int width,
                                      float[] dst, int at, float[] buf, int bufAt) {
        for (int q = 0; q * MR < width; q++) {
            int rows = Math.min(MR, width - q * MR), base = at + q * MR * kc;
            decodeRows(seg, off + (long) q * MR * stride, stride, type, rows, kc, buf, bufAt);
            for (int r = rows; r < MR; r++) Arrays.fill(buf, bufAt + r * kc, bufAt + (r + 1) * kc, 0f);
            int p = 0;
            for (; p <= kc - V; p += V) {
                int d = base + p * MR;
                FloatVector r0 = FloatVector.fromArray(F, buf, bufAt + p), r1 = FloatVector.fromArray(F, buf, bufAt + kc + p);
                FloatVector r2 = FloatVector.fromArray(F, buf, bufAt + 2 * kc + p), r3 = FloatVector.fromArray(F, buf, bufAt + 3 * kc + p);
                FloatVector lo01 = ZIP_LO.selectFrom(r0, r1), hi01 = ZIP_HI.selectFrom(r0, r1);
                FloatVector lo23 = ZIP_LO.selectFrom(r2, r3), hi23 = ZIP_HI.selectFrom(r2, r3);
                FloatVector g0 = PAIRS_LO.selectFrom(lo01, lo23), g1 = PAIRS_HI.selectFrom(lo01, lo23);
                FloatVector g2 = PAIRS_LO.selectFrom(hi01, hi23), g3 = PAIRS_HI.selectFrom(hi01, hi23);
                if (MR == 4) {
                    g0.intoArray(dst, d);
                    g1.intoArray(dst, d + V);
                    g2.intoArray(dst, d + 2 * V);
                    g3.intoArray(dst, d + 3 * V);
                    continue;
                }
                FloatVector r4 = FloatVector.fromArray(F, buf, bufAt + 4 * kc + p), r5 = FloatVector.fromArray(F, buf, bufAt + 5 * kc + p);
                FloatVector r6 = FloatVector.fromArray(F, buf, bufAt + 6 * kc + p), r7 = FloatVector.fromArray(F, buf, bufAt + 7 * kc + p);
                FloatVector lo45 = ZIP_LO.selectFrom(r4, r5), hi45 = ZIP_HI.selectFrom(r4, r5);
                FloatVector lo67 = ZIP_LO.selectFrom(r6, r7), hi67 = ZIP_HI.selectFrom(r6, r7);
                FloatVector h0 = PAIRS_LO.selectFrom(lo45, lo67), h1 = PAIRS_HI.selectFrom(lo45, lo67);
                FloatVector h2 = PAIRS_LO.selectFrom(hi45, hi67), h3 = PAIRS_HI.selectFrom(hi45, hi67);
                QUADS_LO.selectFrom(g0, h0).intoArray(dst, d);
                QUADS_HI.selectFrom(g0, h0).intoArray(dst, d + V);
                QUADS_LO.selectFrom(g1, h1).intoArray(dst, d + 2 * V);
                QUADS_HI.selectFrom(g1, h1).intoArray(dst, d + 3 * V);
                QUADS_LO.selectFrom(g2, h2).intoArray(dst, d + 4 * V);
                QUADS_HI.selectFrom(g2, h2).intoArray(dst, d + 5 * V);
                QUADS_LO.selectFrom(g3, h3).intoArray(dst, d + 6 * V);
                QUADS_HI.selectFrom(g3, h3).intoArray(dst, d + 7 * V);
            }
            for (; p < kc; p++) {
                for (int r = 0; r < MR; r++) dst[base + p * MR + r] = buf[bufAt + r * kc + p];
            }
        }
    }

    private static FloatVector selector(IntBinaryOperator index) {
        float[] lanes = new float[V];
        for (int lane = 0; lane < V; lane++) lanes[lane] = index.applyAsInt(lane, V);
        return FloatVector.fromArray(F, lanes, 0);
    }

    /**
     * Decodes kc elements of each of rows rows (row r at off + r·stride) into out[at + r·kc..],
     * one vector of every row in turn: the rows are separate DRAM streams, and reading them
     * side by side keeps several in flight (one row after another measured 2-4× slower).
     */
    private static void decodeRows(MemorySegment seg, long off, long stride, DType type, int rows, int kc,
                                   float[] out, int at) {
        long es = type.byteSize();
        int p = 0;
        for (; p <= kc - V; p += V) {
            for (int r = 0; r < rows; r++) GemmDecode.loadInto(seg, off + r * stride + p * es, type, out, at + r * kc + p);
        }
        for (; p < kc; p++) {
            for (int r = 0; r < rows; r++) out[at + r * kc + p] = GemmDecode.scalar(seg, off + r * stride + p * es, type);
        }
    }

    /**
     * Decodes n contiguous elements at byte offset off into out[at, at+n). Vector loads even for
     * F32: MemorySegment.copy into an array costs tens of nanoseconds per call in checks.
     */
    private static void decodeRow(MemorySegment seg, long off, DType type, int n, float[] out, int at) {
        int es = type.byteSize(), p = 0;
        for (; p <= n - V; p += V) GemmDecode.loadInto(seg, off + (long) p * es, type, out, at + p);
        for (; p < n; p++) out[at + p] = GemmDecode.scalar(seg, off + (long) p * es, type);
    }
}
