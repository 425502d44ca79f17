package io.liquid4j.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuConvWinograd}'s F(2×2, 3×3) for small images, several images per GEMM. The band path
 * works a tile row at a time: an 8×8 image has 4 tiles a row, so its transforms fill a quarter
 * of a 16-float vector, scatter its tiles into the packed panels 4 floats per copy, and its 16
 * GEMMs are [O, C] × [C, 16] — a VQGAN encoding a data set of 32×32 pictures spent most of its
 * time there. Here a vector holds V consecutive tiles of one image, whatever their rows:
 * <ul>
 *   <li>input: an (image, channel) plane is copied once into a float array with a zero slot past
 *       its end, and each of the 4×4 window positions of V tiles is one gather through a map of
 *       the geometry ({@link Maps#in}: the pixel, or the zero slot for padding and for the lanes
 *       past the image's last tile). The transformed tiles are whole vectors of one packed
 *       panel, so they are stored, not scattered;</li>
 *   <li>GEMMs: the tiles of g images side by side, M_ξν[O, g·T] = U_ξν[O, C] · V_ξν[C, g·T];</li>
 *   <li>output: the four pixels of V tiles are computed as vectors into a small array, and each
 *       output row-run of V pixels is one gather from it ({@link Maps#out}) stored straight
 *       into the output.</li>
 * </ul>
 * Every sum is the band path's expression in the band path's order and the GEMMs sum over C in
 * the same order whatever the column, so both paths give the same bits (CpuConvWinogradTest).
 */
final class WinogradPlanes {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int V = SP.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Images of at most this many 2×2 tiles take this path (system property
     * liquid4j.winograd.planeTiles; 0 turns it off): 256 is a 32×32 image, whose gather maps (16
     * ints a tile) fill half of L1. WinogradBench (BENCHMARKS.md) measured this path faster at 8×8,
     * 16×16 and 32×32.
     */
    static final int MAX_TILES = Integer.getInteger("liquid4j.winograd.planeTiles", 256);

    /**
     * Floats of V (and about as many of M) per group of images, the system property
     * liquid4j.winograd.groupFloats: 64K (256 KB) keeps both in L2. WinogradBench, 64 images of
     * 8×8 × 64 channels: 1.65 ms at 32K or 64K, 2.05 at 128K, 2.38 at 512K, 3.20 at 8K (one image
     * a group: a GEMM of 16 columns); 16 images of 32×32 × 16 channels: 0.93–0.98 ms up to 128K,
     * 1.51 at 512K (BENCHMARKS.md).
     */
    static final long GROUP_FLOATS = Long.getLong("liquid4j.winograd.groupFloats", 64L << 10);

    private WinogradPlanes() {}

    /** Whether images of h×w take this path: few tiles, and one image's V within bandFloats floats. */
    static boolean suits(int c, int o, int h, int w, long bandFloats) {
        long tiles = (long) ((h + 1) / 2) * ((w + 1) / 2);
        return tiles <= MAX_TILES && 16L * Math.max(c, o) * ((tiles + V - 1) / V * V) <= bandFloats;
    }

    /**
     * The gather maps of one geometry (an h×w output, the input upsampled ×up): tiles per image
     * rounded up to whole vectors (tp); in[kl·tp + t] is the source element of window position
     * kl = k·4 + l of tile t (pixel row 2ty − 1 + k, column 2tx − 1 + l) or the zero slot
     * (h/up)·(w/up); out[p] is pixel p's place in the transformed tiles [4][tp], (2i + j)·tp + t
     * for pixel (2ty + i, 2tx + j), padded to whole vectors with 0.
     */
    record Maps(int tp, int[] in, int[] out) {
        private record Geometry(int h, int w, int up) {}

        /** Built once per geometry and shared, like im2col's {@link TapMap}s (a model has a handful). */
        private static final Map<Geometry, Maps> CACHE = new ConcurrentHashMap<>();

        static Maps of(int h, int w, int up) {
            return CACHE.computeIfAbsent(new Geometry(h, w, up), g -> build(g.h, g.w, g.up));
        }

        private static Maps build(int h, int w, int up) {
            int th = (h + 1) / 2, tw = (w + 1) / 2, tiles = th * tw, tp = (tiles + V - 1) / V * V;
            int sw = w / up, zero = (h / up) * sw;
            int[] in = new int[16 * tp];
            for (int kl = 0; kl < 16; kl++) {
                for (int t = 0; t < tp; t++) {
                    int iy = 2 * (t / tw) - 1 + kl / 4, ix = 2 * (t % tw) - 1 + kl % 4;
                    boolean inside = t < tiles && iy >= 0 && iy < h && ix >= 0 && ix < w;
                    in[kl * tp + t] = inside ? (iy / up) * sw + ix / up : zero;
                }
            }
            int[] out = new int[(h * w + V - 1) / V * V];
            for (int p = 0; p < h * w; p++) {
                int y = p / w, x = p % w;
                out[p] = (2 * (y % 2) + x % 2) * tp + (y / 2) * tw + x / 2;
            }
            return new Maps(tp, in, out);
        }
    }

    /**
     * out[n, O, H, W] = conv3x3(upsample(x, up)) + bias for x [n, C, H/up, W/up], with the
     * filters already transformed and packed ({@link CpuConvWinograd#packedFilters}). Images go
     * to the threads in groups of g, as many as keep V and M within bandFloats floats each.
     */
    static void forward(MemorySegment xs, long xOff, int n, int c, int h, int w, int up, float[][] packedU, int o,
                        float[] bias, MemorySegment os, long outOff, long bandFloats) {
        Maps maps = Maps.of(h, w, up);
        int tp = maps.tp, nr = Gemm.packedPanelWidth();
        int perThread = (n + CpuThreads.threads() - 1) / CpuThreads.threads();
        int g = (int) Math.max(1, Math.min(perThread, Math.min(bandFloats, GROUP_FLOATS) / (16L * Math.max(c, o) * tp)));
        int cols = g * tp, colsPad = (cols + nr - 1) / nr * nr, plane = (h / up) * (w / up), hw = h * w;
        long xImage = (long) c * plane * Float.BYTES, outImage = (long) o * hw * Float.BYTES;
        CpuThreads.parallelFor((n + g - 1) / g, 1, (first, last) -> {
            float[] src = new float[plane + 1];                     // src[plane] is the zero slot
            float[] v = new float[Math.toIntExact(16L * c * colsPad)];
            float[] y = new float[4 * tp];
            MemorySegment m = NativeMemory.allocate(16L * o * cols * Float.BYTES);
            try {
                for (int item = first; item < last; item++) {
                    int img0 = item * g, images = Math.min(g, n - img0), used = images * tp;
                    for (int i = 0; i < images; i++) {
                        for (int cc = 0; cc < c; cc++) {
                            MemorySegment.copy(xs, Access.F, xOff + (img0 + i) * xImage + (long) cc * plane * Float.BYTES, src, 0, plane);
                            inputTransform(src, maps.in, tp, i * tp, cc, c, colsPad, v);
                        }
                    }
                    for (int e = 0; e < 16; e++) {
                        Gemm.gemmPrepacked(o, used, c, packedU[e], 0, v, e * c * colsPad, m, (long) e * o * cols * Float.BYTES, cols);
                    }
                    for (int i = 0; i < images; i++) {
                        for (int oo = 0; oo < o; oo++) {
                            outputTransform(m, oo, o, cols, i * tp, tp, bias == null ? 0f : bias[oo], y);
                            long at = outOff + (img0 + i) * outImage + (long) oo * hw * Float.BYTES;
                            writePlane(y, maps.out, hw, os, at);
                        }
                    }
                }
            } finally {
                NativeMemory.free(m);
            }
        });
    }

    /**
     * V_ξν[cc, t0 + t] = (Bᵀ d B)[ξ, ν] of the tiles of one (image, channel) plane, V at a time,
     * into V's packed panels (element (c, t) of V_e at e·C·colsPad + (t − t mod NR)·C + c·NR + t
     * mod NR: t0 and tp are whole vectors, NR two of them, so V tiles are one contiguous run).
     * The arithmetic is {@link CpuConvWinograd}'s transformTiles, written out in locals.
     */
    private static void inputTransform(float[] src, int[] in, int tp, int t0, int cc, int c, int colsPad, float[] v) {
        int nr = Gemm.packedPanelWidth();
        long block = (long) c * colsPad;
        for (int t = 0; t < tp; t += V) {
            int col = t0 + t, pos = col % nr;
            int at = (col - pos) * c + cc * nr + pos;
            FloatVector d0, d1, d2, d3;
            d0 = FloatVector.fromArray(SP, src, 0, in, t); d1 = FloatVector.fromArray(SP, src, 0, in, tp + t);
            d2 = FloatVector.fromArray(SP, src, 0, in, 2 * tp + t); d3 = FloatVector.fromArray(SP, src, 0, in, 3 * tp + t);
            FloatVector r00 = d0.sub(d2), r01 = d1.add(d2), r02 = d2.sub(d1), r03 = d1.sub(d3);
            d0 = FloatVector.fromArray(SP, src, 0, in, 4 * tp + t); d1 = FloatVector.fromArray(SP, src, 0, in, 5 * tp + t);
            d2 = FloatVector.fromArray(SP, src, 0, in, 6 * tp + t); d3 = FloatVector.fromArray(SP, src, 0, in, 7 * tp + t);
            FloatVector r10 = d0.sub(d2), r11 = d1.add(d2), r12 = d2.sub(d1), r13 = d1.sub(d3);
            d0 = FloatVector.fromArray(SP, src, 0, in, 8 * tp + t); d1 = FloatVector.fromArray(SP, src, 0, in, 9 * tp + t);
            d2 = FloatVector.fromArray(SP, src, 0, in, 10 * tp + t); d3 = FloatVector.fromArray(SP, src, 0, in, 11 * tp + t);
            FloatVector r20 = d0.sub(d2), r21 = d1.add(d2), r22 = d2.sub(d1), r23 = d1.sub(d3);
            d0 = FloatVector.fromArray(SP, src, 0, in, 12 * tp + t); d1 = FloatVector.fromArray(SP, src, 0, in, 13 * tp + t);
            d2 = FloatVector.fromArray(SP, src, 0, in, 14 * tp + t); d3 = FloatVector.fromArray(SP, src, 0, in, 15 * tp + t);
            FloatVector r30 = d0.sub(d2), r31 = d1.add(d2), r32 = d2.sub(d1), r33 = d1.sub(d3);
            r00.sub(r20).intoArray(v, at);
            r01.sub(r21).intoArray(v, (int) (at + block));
            r02.sub(r22).intoArray(v, (int) (at + 2 * block));
            r03.sub(r23).intoArray(v, (int) (at + 3 * block));
            r10.add(r20).intoArray(v, (int) (at + 4 * block));
            r11.add(r21).intoArray(v, (int) (at + 5 * block));
            r12.add(r22).intoArray(v, (int) (at + 6 * block));
            r13.add(r23).intoArray(v, (int) (at + 7 * block));
            r20.sub(r10).intoArray(v, (int) (at + 8 * block));
            r21.sub(r11).intoArray(v, (int) (at + 9 * block));
            r22.sub(r12).intoArray(v, (int) (at + 10 * block));
            r23.sub(r13).intoArray(v, (int) (at + 11 * block));
            r10.sub(r30).intoArray(v, (int) (at + 12 * block));
            r11.sub(r31).intoArray(v, (int) (at + 13 * block));
            r12.sub(r32).intoArray(v, (int) (at + 14 * block));
            r13.sub(r33).intoArray(v, (int) (at + 15 * block));
        }
    }

    /**
     * Y = Aᵀ M A (+ b) of output channel oo for tiles t0..t0 + tp of M (row stride cols), into
     * y[(2i + j)·tp + t] for pixel (2ty + i, 2tx + j): {@link CpuConvWinograd}'s topRow and
     * bottomRow expressions, V tiles at a time.
     */
    private static void outputTransform(MemorySegment m, int oo, int o, int cols, int t0, int tp, float b, float[] y) {
        long row = (long) cols * Float.BYTES, e1 = (long) o * row;           // bytes to the next e
        for (int t = 0; t < tp; t += V) {
            long at = ((long) oo * cols + t0 + t) * Float.BYTES;
            FloatVector m0 = FloatVector.fromMemorySegment(SP, m, at, LE), m1 = FloatVector.fromMemorySegment(SP, m, at + e1, LE);
            FloatVector m2 = FloatVector.fromMemorySegment(SP, m, at + 2 * e1, LE), m3 = FloatVector.fromMemorySegment(SP, m, at + 3 * e1, LE);
            FloatVector m4 = FloatVector.fromMemorySegment(SP, m, at + 4 * e1, LE), m5 = FloatVector.fromMemorySegment(SP, m, at + 5 * e1, LE);
            FloatVector m6 = FloatVector.fromMemorySegment(SP, m, at + 6 * e1, LE), m7 = FloatVector.fromMemorySegment(SP, m, at + 7 * e1, LE);
            FloatVector m8 = FloatVector.fromMemorySegment(SP, m, at + 8 * e1, LE), m9 = FloatVector.fromMemorySegment(SP, m, at + 9 * e1, LE);
            FloatVector m10 = FloatVector.fromMemorySegment(SP, m, at + 10 * e1, LE), m11 = FloatVector.fromMemorySegment(SP, m, at + 11 * e1, LE);
            FloatVector s0 = m0.add(m4).add(m8), s1 = m1.add(m5).add(m9), s2 = m2.add(m6).add(m10), s3 = m3.add(m7).add(m11);
            s0.add(s1).add(s2).add(b).intoArray(y, t);
            s1.sub(s2).sub(s3).add(b).intoArray(y, tp + t);
            FloatVector m12 = FloatVector.fromMemorySegment(SP, m, at + 12 * e1, LE), m13 = FloatVector.fromMemorySegment(SP, m, at + 13 * e1, LE);
            FloatVector m14 = FloatVector.fromMemorySegment(SP, m, at + 14 * e1, LE), m15 = FloatVector.fromMemorySegment(SP, m, at + 15 * e1, LE);
            FloatVector q0 = m4.sub(m8).sub(m12), q1 = m5.sub(m9).sub(m13), q2 = m6.sub(m10).sub(m14), q3 = m7.sub(m11).sub(m15);
            q0.add(q1).add(q2).add(b).intoArray(y, 2 * tp + t);
            q1.sub(q2).sub(q3).add(b).intoArray(y, 3 * tp + t);
        }
    }

    /** The output plane of hw pixels at byte offset at: pixel p is y[out[p]], V pixels a gather. */
    private static void writePlane(float[] y, int[] out, int hw, MemorySegment os, long at) {
        int p = 0;
        for (; p <= hw - V; p += V) FloatVector.fromArray(SP, y, 0, out, p).intoMemorySegment(os, at + (long) p * Float.BYTES, LE);
        for (; p < hw; p++) os.set(Access.F, at + (long) p * Float.BYTES, y[out[p]]);
    }
}
