package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.F32_LE;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM with few rows of A (decode-time y = W·x, short prompts): bound by the bandwidth of
 * streaming B once, so B is read in place (decoded in registers), never packed. The rows of
 * op(A) are gathered into one small contiguous heap array that stays in L1/L2.
 */
final class GemmGemv {
    /** Largest m served here for B stored [k, n]: above it, packing B amortises over enough rows. */
    static final int MAX_M = 4;
    /**
     * Largest m served here for an F32 B stored [n, k] (the nn.Linear weight). Packing that
     * layout means transposing it, and below this m the blocked path cannot amortise that and
     * its panel traffic; re-reading each group of W rows from L1/L2 once per pair of x rows is
     * cheaper. Measured on Zen 4 (k = 4096, n = 8192): this path is 1.5× faster at m = 16, 1.2×
     * at m = 32, 0.8× at m = 64.
     */
    static final int MAX_M_ROWS_OF_W = 32;
    /**
     * The same for a 16-bit W, whose re-reads cost half the bytes and whose packing also
     * decodes: measured 2.3× faster at m = 16, 1.3× at m = 64, 1.2× at m = 128.
     */
    static final int MAX_M_ROWS_OF_W16 = 128;
    /** Bytes of W per chunk that the threads take in turn in {@link #rowsOfW}. */
    private static final long CHUNK_BYTES = Long.getLong("liquid4j.gemv.chunkBytes", 192 << 10);
    /** Elements of B per parallel range, so tiny products stay on the calling thread. */
    private static final int MIN_ELEMENTS_PER_THREAD = 1 << 15;
    /** Most columns of C one range accumulates (16 KiB per row of x: L1 for m = 1, L2 for m = 4). */
    private static final int MAX_COLUMNS = 4096;

    private GemmGemv() {}

    /** True when this path is the faster one for the product. */
    static boolean suits(GemmArgs g) {
        return g.m() <= MAX_M || g.transB() && g.m() <= (g.bType() == DType.F32 ? MAX_M_ROWS_OF_W : MAX_M_ROWS_OF_W16);
    }

    static void multiply(GemmArgs g) {
        float[] x = rowsOfA(g);
        if (!g.transB()) {
            columnsOfB(g, x);
            return;
        }
        CpuThreads.Loop loop = rowsOfW(g, laidOut(g, x), rowDots(g.bType()));
        g.forChunks(loop.count(), loop.chunk(), loop.body());
    }

    /**
     * Products that share op(A) (the same m, k and A: a layer's q/k/v projections of one input),
     * each with a W stored [n, k] of one dtype and each one {@link #suits} (what
     * {@link Gemm#gemvAll} checks before it calls this), as one parallel job:
     * A gathered once, the threads taking chunks of every W in turn. Each output element is
     * computed as {@link #multiply} computes it (the same bits).
     */
    static void multiplyAll(GemmArgs[] gs) {
        GemmArgs g0 = gs[0];
        float[] x = laidOut(g0, rowsOfA(g0));
        RowDots dots = rowDots(g0.bType());
        CpuThreads.Loop[] loops = new CpuThreads.Loop[gs.length];
        boolean parallel = true;
        for (int i = 0; i < gs.length; i++) {
            loops[i] = rowsOfW(gs[i], x, dots);
            parallel &= gs[i].parallel();
        }
        if (parallel) {
            CpuThreads.parallelForChunks(loops);
            return;
        }
        for (CpuThreads.Loop loop : loops) if (loop.count() > 0) loop.body().run(0, loop.count());
    }

    /** The rows of op(A), gathered into one contiguous heap array [m, k]. */
    private static float[] rowsOfA(GemmArgs g) {
        int m = g.m(), k = g.k();
        float[] x = new float[m * k];
        for (int i = 0; i < m; i++) {
            if (g.transA()) {
                for (int p = 0; p < k; p++) x[i * k + p] = g.a().get(F32_LE, g.aAt(i, p));
            } else {
                MemorySegment.copy(g.a(), F32_LE, g.aAt(i, 0), x, i * k, k);
            }
        }
        return x;
    }

    /** x as the RowDots of W's dtype read it: paired up for the 16-bit decoders. */
    private static float[] laidOut(GemmArgs g, float[] x) {
        return g.bType() == DType.F32 ? x : GemvBf16.pairUp(x, g.m(), g.k());
    }

    private static RowDots rowDots(DType type) {
        return type == DType.BF16 ? BF16_ROWS : type == DType.F16 ? F16_ROWS : GENERIC_ROWS;
    }

    /**
     * The dot products rowsOfW needs, one set per decoder. BF16 and F16 W have their own sets
     * ({@link GemvBf16}, {@link GemvF16}): a loop shared by several decoders merges their vectors at a phi, C2's
     * box elimination gives up there, and a BF16 model (whose attention matmuls are F32) fell
     * to ~4 GB/s of W; a loop per decoder keeps every vector in registers.
     */
    interface RowDots {
        /** out[r] = x_i·W_r for the 8 W rows at off + r·rowBytes. */
        void dot8(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type, float[] out);

        /** out[at + i·4 + r] = x_i·W_r for the x rows at xa, xb and the 4 W rows at off + r·rowBytes. */
        void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type, float[] out, int at);

        /** x_i·W for one W row at off. */
        float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type);

        /**
         * out[i·8 + r] = x_i·W_r for the first m x rows (m even) and the 8 W rows at off + r·rowBytes,
         * where the set has a loop that serves many x rows at once; false where it has none.
         */
        default boolean dotRows(float[] x, int m, int k, MemorySegment w, long off, long rowBytes, float[] out) {
            return false;
        }

        /**
         * What dot4x2 at off (results at 0) and at off + 4·rowBytes (results at 8) give, in one pass
         * over the 8 W rows, where the set has such a loop; false where it has none.
         */
        default boolean dot8x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, float[] out) {
            return false;
        }
    }

    private static final RowDots GENERIC_ROWS = new RowDots() {
        @Override public void dot8(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type, float[] out) {
            GemmGemv.dot8(x, xi, w, off, rowBytes, k, type, out);
        }

        @Override public void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                                     float[] out, int at) {
            GemmGemv.dot4x2(x, xa, xb, w, off, rowBytes, k, type, out, at);
        }

        @Override public float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
            return GemmGemv.dot(x, xi, w, off, k, type);
        }
    };

    private static final RowDots BF16_ROWS = new RowDots() {
        @Override public void dot8(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type, float[] out) {
            GemvBf16.dot8(x, xi, w, off, rowBytes, k, out);
        }

        @Override public void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                                     float[] out, int at) {
            GemvBf16.dot4x2(x, xa, xb, w, off, rowBytes, k, out, at);
        }

        @Override public float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
            return GemvBf16.dot(x, xi, w, off, k);
        }

        @Override public boolean dotRows(float[] x, int m, int k, MemorySegment w, long off, long rowBytes, float[] out) {
            if (m < 4 || GemvBf16.paired(k) <= GemvBf16.CHUNK) return false;   // one chunk: the pairs loop already reads W from L1
            GemvBf16.dotRows(x, m, k, w, off, rowBytes, out);
            return true;
        }

        @Override public boolean dot8x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, float[] out) {
            if (!GemvBf16.EIGHT_ROWS) return false;
            GemvBf16.dot8x2(x, xa, xb, w, off, rowBytes, k, out);
            return true;
        }
    };

    private static final RowDots F16_ROWS = new RowDots() {
        @Override public void dot8(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type, float[] out) {
            GemvF16.dot8(x, xi, w, off, rowBytes, k, out);
        }

        @Override public void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                                     float[] out, int at) {
            GemvF16.dot4x2(x, xa, xb, w, off, rowBytes, k, out, at);
        }

        @Override public float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
            return GemvF16.dot(x, xi, w, off, k);
        }

        @Override public boolean dotRows(float[] x, int m, int k, MemorySegment w, long off, long rowBytes, float[] out) {
            if (m < 4) return false;   // one pair decodes each W element once anyway
            GemvF16.dotRows(x, m, k, w, off, rowBytes, out);
            return true;
        }
    };

    /**
     * B stored [n, k]: C(i, j) = dot(x_i, W_j), over groups of eight W rows.
     *
     * <p>A single x row (decode) is bound by how many DRAM misses each core keeps in flight, so
     * it reads W as several independent streams at once: 8 rows, or 16 where {@link #WIDE} (one
     * x load per 8 or 16 FMAs), and each stream runs over {@code G} consecutive rows (a block of
     * 8G or 16G rows, stream r covering rows r·G .. r·G + G - 1, which lie back to back in
     * memory) so that it is ~4-8 KiB long: the prefetchers ramp up once per stream, and a
     * decode-sized row of 1.5-3 KiB was too short for that. Measured on the 2-vCPU Zen 4 VM
     * (W from DRAM): BF16 k = 768 19.4 GB/s with G = 1, 24.6 with G = 2, 28.9 with G = 4.
     *
     * <p>Pairs of x rows take each group as two sets of four rows, each decoded W vector feeding
     * both x rows (8 accumulators, within AVX2's 16 registers); the group is re-read from L1/L2
     * for each pair. x is laid out as the RowDots expect. Returns the loop over groups of W rows
     * (chunks of ~192 KiB), for the caller to run alone or beside other products' loops.
     */
    private static CpuThreads.Loop rowsOfW(GemmArgs g, float[] x, RowDots dots) {
        int m = g.m(), k = g.k(), n = g.n();
        long rowBytes = (long) g.ldb() * g.bType().byteSize();
        DType type = g.bType();
        int groups = (n + GROUP - 1) / GROUP;
        // chunks of ~192 KiB of W taken in turn: a thread that starts late takes fewer
        int chunk = Math.max(Math.max(1, MIN_ELEMENTS_PER_THREAD / (GROUP * k)), (int) (CHUNK_BYTES / (GROUP * rowBytes)));
        boolean wide = m == 1 && WIDE && type == DType.F32;
        int streams = wide ? 2 * GROUP : GROUP;
        // 16 F32 streams already keep enough misses in flight: longer streams measured 0-19% slower
        int rowsPerStream = wide ? 1 : Integer.highestOneBit(Math.clamp(STREAM_BYTES / rowBytes, 1, 8));
        int block = streams * rowsPerStream;
        chunk = (chunk + block / GROUP - 1) / (block / GROUP) * (block / GROUP);   // whole blocks per chunk
        return new CpuThreads.Loop(groups, chunk, (start, end) -> {
            float[] out = new float[Math.max(2, m) * GROUP];
            int stop = Math.min(n, end * GROUP);
            for (int j = start * GROUP; j < stop; j += GROUP) {
                long off = g.bAt(0, j);
                if (j + block <= stop) {
                    long stride = rowsPerStream * rowBytes;
                    for (int q = 0; q < rowsPerStream; q++) {
                        long at = off + q * rowBytes;
                        if (m == 1) {
                            if (wide) dot16F32(x, g.b(), at, stride, k, out);
                            else dots.dot8(x, 0, g.b(), at, stride, k, type, out);
                            for (int r = 0; r < streams; r++) put(g, 0, j + r * rowsPerStream + q, out[r]);
                            continue;
                        }
                        // several x rows: the same streams (each a run of consecutive W rows)
                        group(g, x, dots, at, stride, j + q, rowsPerStream, out);
                    }
                    j += block - GROUP;
                    continue;
                }
                if (j + GROUP > n) {
                    for (int i = 0; i < m; i++) {
                        for (int r = 0; j + r < n; r++) put(g, i, j + r, dots.dot(x, i * k, g.b(), off + r * rowBytes, k, type));
                    }
                    continue;
                }
                group(g, x, dots, off, rowBytes, j, 1, out);
            }
        });
    }

    /**
     * The 8 W rows at at, at + stride, …, at + 7·stride against every x row: the set's many-row loop
     * where it has one (BF16 and F16, four or more x rows), else pairs of x rows as two sets of four W rows;
     * then a leftover x row; results to C columns j, j + step, …, j + 7·step.
     */
    private static void group(GemmArgs g, float[] x, RowDots dots, long at, long stride, int j, int step, float[] out) {
        int m = g.m(), k = g.k();
        DType type = g.bType();
        int i = 0;
        if (dots.dotRows(x, m - m % 2, k, g.b(), at, stride, out)) {
            for (; i < m - m % 2; i++) {
                for (int r = 0; r < GROUP; r++) put(g, i, j + r * step, out[i * GROUP + r]);
            }
        }
        for (; i + 2 <= m; i += 2) {
            if (!dots.dot8x2(x, i * k, (i + 1) * k, g.b(), at, stride, k, out)) {
                dots.dot4x2(x, i * k, (i + 1) * k, g.b(), at, stride, k, type, out, 0);
                dots.dot4x2(x, i * k, (i + 1) * k, g.b(), at + 4 * stride, stride, k, type, out, 8);
            }
            for (int r = 0; r < 4; r++) {
                put(g, i, j + r * step, out[r]);
                put(g, i + 1, j + r * step, out[4 + r]);
                put(g, i, j + (4 + r) * step, out[8 + r]);
                put(g, i + 1, j + (4 + r) * step, out[12 + r]);
            }
        }
        if (i < m) {
            dots.dot8(x, i * k, g.b(), at, stride, k, type, out);
            for (int r = 0; r < GROUP; r++) put(g, i, j + r * step, out[r]);
        }
    }

    private static final ThreadLocal<float[][]> ACCUMULATORS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * This thread's scratch of n zeros for the row loops' accumulators (GemvBf16, GemvF16), which
     * load and park their vectors there between chunks of k; one array per thread, grown as needed.
     * Loops that only store their sums for summing take {@link VectorMath#parking}, not cleared.
     */
    static float[] accumulators(int n) {
        float[][] holder = ACCUMULATORS.get();
        if (holder[0].length < n) holder[0] = new float[n];
        Arrays.fill(holder[0], 0, n, 0f);
        return holder[0];
    }

    /** Rows of W per group. */
    private static final int GROUP = 8;
    /** Length a single-x-row stream of W aims at (see rowsOfW): consecutive rows up to this many bytes. */
    private static final long STREAM_BYTES = Long.getLong("liquid4j.gemv.streamBytes", 8192);
    /**
     * Whether a single x row takes 16 F32 W rows at a time: with 512-bit vectors (AVX-512, 32 vector
     * registers) the 16 accumulators stay in registers, and 16 DRAM streams per core instead of
     * 8 measured 14-27% more W bandwidth for F32 on Zen 4 (k = 768 and 2048, n = 768 to 32000).
     * AVX2's 16 registers would spill them.
     */
    static final boolean WIDE = V >= 16;

    /**
     * out[r] = x·W_r for the 16 F32 W rows at off + r·rowBytes (rowBytes: the stride between
     * the rows the streams read). F32 only, loading directly: with
     * the dtype switch of GemmDecode.load inlined 16 times (or the BF16 decoder) the method
     * outgrew C2's inlining budget, the loads stopped inlining and their vectors were boxed
     * (F32 10-20% and BF16 2.5-3.6x slower than the 8-row loop).
     */
    static void dot16F32(float[] x, MemorySegment w, long off, long rowBytes, int k, float[] out) {
        long half = 8 * rowBytes;
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
        FloatVector t4 = FloatVector.zero(F), t5 = FloatVector.zero(F), t6 = FloatVector.zero(F), t7 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * 4L, h = o + half;
            FloatVector xv = FloatVector.fromArray(F, x, p);
            s0 = f32(w, o).fma(xv, s0);
            s1 = f32(w, o + rowBytes).fma(xv, s1);
            s2 = f32(w, o + 2 * rowBytes).fma(xv, s2);
            s3 = f32(w, o + 3 * rowBytes).fma(xv, s3);
            s4 = f32(w, o + 4 * rowBytes).fma(xv, s4);
            s5 = f32(w, o + 5 * rowBytes).fma(xv, s5);
            s6 = f32(w, o + 6 * rowBytes).fma(xv, s6);
            s7 = f32(w, o + 7 * rowBytes).fma(xv, s7);
            t0 = f32(w, h).fma(xv, t0);
            t1 = f32(w, h + rowBytes).fma(xv, t1);
            t2 = f32(w, h + 2 * rowBytes).fma(xv, t2);
            t3 = f32(w, h + 3 * rowBytes).fma(xv, t3);
            t4 = f32(w, h + 4 * rowBytes).fma(xv, t4);
            t5 = f32(w, h + 5 * rowBytes).fma(xv, t5);
            t6 = f32(w, h + 6 * rowBytes).fma(xv, t6);
            t7 = f32(w, h + 7 * rowBytes).fma(xv, t7);
        }
        float[] park = VectorMath.parking(16 * V);   // summed outside this loop's method, see VectorMath.parking
        s0.intoArray(park, 0);
        s1.intoArray(park, V);
        s2.intoArray(park, 2 * V);
        s3.intoArray(park, 3 * V);
        s4.intoArray(park, 4 * V);
        s5.intoArray(park, 5 * V);
        s6.intoArray(park, 6 * V);
        s7.intoArray(park, 7 * V);
        t0.intoArray(park, 8 * V);
        t1.intoArray(park, 9 * V);
        t2.intoArray(park, 10 * V);
        t3.intoArray(park, 11 * V);
        t4.intoArray(park, 12 * V);
        t5.intoArray(park, 13 * V);
        t6.intoArray(park, 14 * V);
        t7.intoArray(park, 15 * V);
        VectorMath.laneSums(park, 16, out, 0);
        for (; p < k; p++) {
            for (int r = 0; r < 2 * GROUP; r++) out[r] += x[p] * w.get(F32_LE, off + r * rowBytes + p * 4L);
        }
    }

    private static FloatVector f32(MemorySegment w, long off) {
        return FloatVector.fromMemorySegment(F, w, off, ByteOrder.LITTLE_ENDIAN);
    }

    /** out[r] = Σ_p x[xi+p]·W_r[p] for the 8 W rows at off + r·rowBytes. */
    static void dot8(float[] x, int xi, MemorySegment w, long off, long rowBytes, int k, DType type,
                             float[] out) {
        long es = type.byteSize();
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * es;
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = GemmDecode.load(w, o, type).fma(xv, s0);
            s1 = GemmDecode.load(w, o + rowBytes, type).fma(xv, s1);
            s2 = GemmDecode.load(w, o + 2 * rowBytes, type).fma(xv, s2);
            s3 = GemmDecode.load(w, o + 3 * rowBytes, type).fma(xv, s3);
            s4 = GemmDecode.load(w, o + 4 * rowBytes, type).fma(xv, s4);
            s5 = GemmDecode.load(w, o + 5 * rowBytes, type).fma(xv, s5);
            s6 = GemmDecode.load(w, o + 6 * rowBytes, type).fma(xv, s6);
            s7 = GemmDecode.load(w, o + 7 * rowBytes, type).fma(xv, s7);
        }
        float[] park = VectorMath.parking(8 * V);   // summed outside this loop's method, see VectorMath.parking
        s0.intoArray(park, 0);
        s1.intoArray(park, V);
        s2.intoArray(park, 2 * V);
        s3.intoArray(park, 3 * V);
        s4.intoArray(park, 4 * V);
        s5.intoArray(park, 5 * V);
        s6.intoArray(park, 6 * V);
        s7.intoArray(park, 7 * V);
        VectorMath.laneSums(park, 8, out, 0);
        for (; p < k; p++) {
            for (int r = 0; r < GROUP; r++) out[r] += x[xi + p] * GemmDecode.scalar(w, off + r * rowBytes + p * es, type);
        }
    }

    /**
     * out[at + i·4 + r] = Σ_p x_i[p]·W_r[p] for the x rows at xa (i = 0) and xb (i = 1) and the
     * 4 W rows at off + r·rowBytes.
     */
    static void dot4x2(float[] x, int xa, int xb, MemorySegment w, long off, long rowBytes, int k, DType type,
                               float[] out, int at) {
        long es = type.byteSize();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) {
            long o = off + p * es;
            FloatVector xav = FloatVector.fromArray(F, x, xa + p), xbv = FloatVector.fromArray(F, x, xb + p);
            FloatVector w0 = GemmDecode.load(w, o, type);
            a0 = w0.fma(xav, a0);
            b0 = w0.fma(xbv, b0);
            FloatVector w1 = GemmDecode.load(w, o + rowBytes, type);
            a1 = w1.fma(xav, a1);
            b1 = w1.fma(xbv, b1);
            FloatVector w2 = GemmDecode.load(w, o + 2 * rowBytes, type);
            a2 = w2.fma(xav, a2);
            b2 = w2.fma(xbv, b2);
            FloatVector w3 = GemmDecode.load(w, o + 3 * rowBytes, type);
            a3 = w3.fma(xav, a3);
            b3 = w3.fma(xbv, b3);
        }
        float[] park = VectorMath.parking(8 * V);   // summed outside this loop's method, see VectorMath.parking
        a0.intoArray(park, 0);
        a1.intoArray(park, V);
        a2.intoArray(park, 2 * V);
        a3.intoArray(park, 3 * V);
        b0.intoArray(park, 4 * V);
        b1.intoArray(park, 5 * V);
        b2.intoArray(park, 6 * V);
        b3.intoArray(park, 7 * V);
        VectorMath.laneSums(park, 8, out, at);
        for (; p < k; p++) {
            for (int r = 0; r < 4; r++) {
                float v = GemmDecode.scalar(w, off + r * rowBytes + p * es, type);
                out[at + r] += x[xa + p] * v;
                out[at + 4 + r] += x[xb + p] * v;
            }
        }
    }

    /** Σ_p x[xi+p]·W[p] over k contiguous elements at byte offset off (the last few rows of W). */
    static float dot(float[] x, int xi, MemorySegment w, long off, int k, DType type) {
        long es = type.byteSize();
        FloatVector s = FloatVector.zero(F);
        int p = 0;
        for (; p <= k - V; p += V) s = GemmDecode.load(w, off + p * es, type).fma(FloatVector.fromArray(F, x, xi + p), s);
        float sum = VectorMath.laneSum(s);
        for (; p < k; p++) sum += x[xi + p] * GemmDecode.scalar(w, off + p * es, type);
        return sum;
    }

    /**
     * B stored [k, n]: C(i, :) = Σ_p x_i[p]·B[p, :]. Each thread takes a contiguous range of
     * columns, so every row of B is read as one long run (short runs per row starve the
     * hardware prefetcher); the range's m accumulator rows stay in L1/L2.
     */
    private static void columnsOfB(GemmArgs g, float[] x) {
        int m = g.m(), k = g.k(), n = g.n();
        int ranges = Math.max(Math.min(CpuThreads.threads(), Math.max(1, (int) ((long) n * k / MIN_ELEMENTS_PER_THREAD))),
                (n + MAX_COLUMNS - 1) / MAX_COLUMNS);
        int width = (n + ranges - 1) / ranges;
        int span = (width + V - 1) / V * V;
        DType type = g.bType();
        long es = type.byteSize();
        g.forRanges(ranges, 1, (start, end) -> {
            float[] acc = new float[m * span];
            for (int range = start; range < end; range++) {
                int j0 = Math.min(n, range * span), cols = Math.min(span, n - j0);
                if (cols <= 0) continue;
                Arrays.fill(acc, 0f);
                for (int p = 0; p < k; p++) {
                    long off = g.bAt(p, j0);
                    for (int i = 0; i < m; i++) {
                        FloatVector xv = FloatVector.broadcast(F, x[i * k + p]);
                        int a = i * span, jj = 0;
                        for (; jj <= cols - V; jj += V) {
                            xv.fma(GemmDecode.load(g.b(), off + jj * es, type), FloatVector.fromArray(F, acc, a + jj))
                                    .intoArray(acc, a + jj);
                        }
                        for (; jj < cols; jj++) acc[a + jj] += x[i * k + p] * GemmDecode.scalar(g.b(), off + jj * es, type);
                    }
                }
                for (int i = 0; i < m; i++) {
                    for (int jj = 0; jj < cols; jj++) put(g, i, j0 + jj, acc[i * span + jj]);
                }
            }
        });
    }

    static void put(GemmArgs g, int i, int j, float v) {
        long off = g.cAt(i, j);
        g.c().set(F32_LE, off, g.accumulate() ? g.c().get(F32_LE, off) + v : v);
    }
}
