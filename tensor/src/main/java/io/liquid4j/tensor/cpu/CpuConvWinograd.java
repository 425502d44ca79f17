package io.liquid4j.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3, stride 1, padding 1 inference convolution by Winograd's minimal filtering F(2×2, 3×3)
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 output
 * tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the 4×4 input tile d, so the C·O·9 multiplies per
 * output pixel of a direct convolution become C·O·4, done as 16 GEMMs
 * M_ξν[O, T] = U_ξν[O, C] · V_ξν[C, T] over the T tiles. This is the VQGAN's workhorse: every
 * ResnetBlock and Upsample convolution. f32 rounding: the transforms only add, subtract and
 * halve, the error stays within a few ulps of the direct sum (tests: 1e-5 relative).
 *
 * <p>Tiles are processed a band of tile rows at a time, each thread its own bands. The input
 * transform runs 16 tiles per vector: each padded input row is split once into its even and odd
 * columns, and tile tx's four columns are then even[tx], odd[tx], even[tx+1], odd[tx+1]. Images
 * of at most {@link WinogradPlanes#MAX_TILES} tiles (32×32 and smaller) go to {@link WinogradPlanes}:
 * their tile rows are too short to fill a vector, and one image's tiles too few for a GEMM.
 */
final class CpuConvWinograd {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int V = SP.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Below this many input channels the 16 GEMMs (K = C) are too thin to pay for the transforms. */
    static final int MIN_CHANNELS = 16;
    /**
     * Floats of V (and about as many of M) per band: one band per thread at a time, sized to stay
     * in the last-level cache (system property liquid4j.winograd.bandFloats).
     */
    private static final long BAND_FLOATS = Long.getLong("liquid4j.winograd.bandFloats", 512L << 10);

    private CpuConvWinograd() {}

    static boolean suits(int c, int kh, int kw, int sh, int sw, int ph, int pw) {
        return kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph == 1 && pw == 1 && c >= MIN_CHANNELS && c <= Gemm.maxPackedDepth();
    }

    /**
     * n images: out[n, O, H, W] (byte offset outOff) = conv3x3(x[n, C, H, W] at xOff, w [O, C, 3, 3]) + bias
     * (bias may be null).
     */
    static void forward(MemorySegment xs, long xOff, int n, int c, int h, int w, MemorySegment ws, long wOff, int o,
                        float[] bias, MemorySegment os, long outOff) {
        forward(xs, xOff, n, c, h, w, 1, ws, wOff, o, bias, os, outOff, BAND_FLOATS);
    }

    /**
     * The convolution of the nearest-neighbour ×up upsampled images, for x [n, C, H/up, W/up] and
     * out [n, O, H, W], without materialising the upsampled images: the input transform reads each
     * source row for the up output rows it becomes (up = 1 or 2).
     */
    static void forwardUpsampled(MemorySegment xs, long xOff, int n, int c, int h, int w, int up, MemorySegment ws, long wOff,
                                 int o, float[] bias, MemorySegment os, long outOff) {
        forward(xs, xOff, n, c, h, w, up, ws, wOff, o, bias, os, outOff, BAND_FLOATS);
    }

    /**
     * {@link #forward} of the ×up upsampled input with bands of at most bandFloats floats of V (tests
     * force several bands). The filters are transformed once for all n images, and the threads share
     * out the (image, band) pairs; images of few tiles go to {@link WinogradPlanes} instead, which
     * puts several of them into each GEMM.
     */
    static void forward(MemorySegment xs, long xOff, int n, int c, int h, int w, int up, MemorySegment ws, long wOff, int o,
                        float[] bias, MemorySegment os, long outOff, long bandFloats) {
        if (up != 1 && (up != 2 || h % 2 != 0 || w % 2 != 0)) {
            throw new IllegalArgumentException("Winograd conv: upsampling by " + up + " to " + h + "x" + w + " is not supported");
        }
        float[][] packedU = packedFilters(ws, wOff, o, c);
        if (WinogradPlanes.suits(c, o, h, w, bandFloats)) WinogradPlanes.forward(xs, xOff, n, c, h, w, up, packedU, o, bias, os, outOff, bandFloats);
        else bands(xs, xOff, n, c, h, w, up, packedU, o, bias, os, outOff, bandFloats);
    }

    /** The band path of {@link #forward}, whatever the image size (tests compare it with {@link WinogradPlanes}). */
    static void bands(MemorySegment xs, long xOff, int n, int c, int h, int w, int up, float[][] packedU, int o,
                      float[] bias, MemorySegment os, long outOff, long bandFloats) {
        int th = (h + 1) / 2, tw = (w + 1) / 2;
        int bandRows = (int) Math.max(1, Math.min(th, bandFloats / (16L * Math.max(c, o) * tw)));
        int bandTiles = bandRows * tw, bands = (th + bandRows - 1) / bandRows;
        int nr = Gemm.packedPanelWidth(), tilesPad = (bandTiles + nr - 1) / nr * nr;
        long xImage = (long) c * (h / up) * (w / up) * Float.BYTES, outImage = (long) o * h * w * Float.BYTES;
        // Each thread takes whole bands and runs transform → 16 GEMMs → inverse transform on
        // its own V and M, so both stay in its cache (the kernels called below run serially
        // inside the parallel range). With K = C = 128 the GEMMs write M at ~0.5 byte per
        // multiply-add: bands shared by all threads and sized for DRAM made the whole
        // convolution bound by writing and re-reading M.
        CpuThreads.parallelFor(n * bands, 1, (first, last) -> {
            // V_ξν[C, T] directly in the GEMM's packed panel order: the GEMM skips packing it
            float[] v = new float[Math.toIntExact(16L * c * tilesPad)];
            // + V floats: the output transform loads whole vectors past the last tile of a row
            MemorySegment m = NativeMemory.allocate((16L * o * bandTiles + V) * Float.BYTES);
            try {
                for (int item = first; item < last; item++) {
                    int img = item / bands, band = item % bands;
                    int ty0 = band * bandRows, rows = Math.min(bandRows, th - ty0), tiles = rows * tw;
                    inputTransform(xs, xOff + img * xImage, c, h, w, up, ty0, rows, tw, tilesPad, v);
                    for (int e = 0; e < 16; e++) {
                        Gemm.gemmPrepacked(o, tiles, c, packedU[e], 0,
                                v, Math.toIntExact((long) e * c * tilesPad), m, (long) e * o * bandTiles * Float.BYTES, bandTiles);
                    }
                    outputTransform(m, o, h, w, ty0, rows, tw, bandTiles, bias, os, outOff + img * outImage);
                }
            } finally {
                NativeMemory.free(m);
            }
        });
    }

    /**
     * The 16 transformed filter matrices U_ξν[O, C], each packed once as a GEMM's A for every band
     * and image: the GEMMs of a 32×32 image's band are [O, C] × [C, 256], and packing U_e again
     * for every one of them was a quarter of the convolution's time.
     */
    static float[][] packedFilters(MemorySegment ws, long wOff, int o, int c) {
        MemorySegment u = NativeMemory.allocate(16L * o * c * Float.BYTES);
        try {
            filterTransform(ws, wOff, o, c, u);
            float[][] packedU = new float[16][];
            for (int e = 0; e < 16; e++) packedU[e] = Gemm.packA(o, c, u, (long) e * o * c * Float.BYTES, c);
            return packedU;
        } finally {
            NativeMemory.free(u);
        }
    }

    /** U_ξν[o, c] = (G g Gᵀ)[ξ, ν] for every 3×3 filter g = w[o, c]; G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. */
    private static void filterTransform(MemorySegment ws, long wOff, int o, int c, MemorySegment u) {
        CpuThreads.parallelFor(o, 1, (start, end) -> {
            float[] g = new float[9];
            float[] t = new float[12];
            for (int oo = start; oo < end; oo++) {
                for (int cc = 0; cc < c; cc++) {
                    MemorySegment.copy(ws, Access.F, wOff + ((long) oo * c + cc) * 9 * Float.BYTES, g, 0, 9);
                    for (int j = 0; j < 3; j++) {                    // t = G g (4×3), column j
                        float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                        t[j] = g0;
                        t[3 + j] = 0.5f * (g0 + g1 + g2);
                        t[6 + j] = 0.5f * (g0 - g1 + g2);
                        t[9 + j] = g2;
                    }
                    for (int i = 0; i < 4; i++) {                    // U = t Gᵀ (4×4), row i
                        float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
                        put(u, i * 4, o, c, oo, cc, t0);
                        put(u, i * 4 + 1, o, c, oo, cc, 0.5f * (t0 + t1 + t2));
                        put(u, i * 4 + 2, o, c, oo, cc, 0.5f * (t0 - t1 + t2));
                        put(u, i * 4 + 3, o, c, oo, cc, t2);
                    }
                }
            }
        });
    }

    private static void put(MemorySegment u, int e, int o, int c, int oo, int cc, float value) {
        u.set(Access.F, (((long) e * o + oo) * c + cc) * Float.BYTES, value);
    }

    /**
     * V_ξν[c, t] = (Bᵀ d B)[ξ, ν] for the tiles of tile rows [ty0, ty0 + rows) (t = local row · tw + tx),
     * Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]; d is the 4×4 input window at rows 2ty − 1..2ty + 2,
     * columns 2tx − 1..2tx + 2 (zero outside the image).
     */
    private static void inputTransform(MemorySegment xs, long xOff, int c, int h, int w, int up, int ty0, int rows, int tw,
                                       int tilesPad, float[] v) {
        int half = tw + 1 + V;                                       // even/odd columns, + slack for whole vectors
        CpuThreads.parallelFor(c, 1, (start, end) -> {
            float[] padded = new float[2 * half];
            float[][] even = new float[4][half], odd = new float[4][half];
            float[][] out = new float[16][tw + V];
            for (int cc = start; cc < end; cc++) {
                long plane = xOff + (long) cc * (h / up) * (w / up) * Float.BYTES;
                for (int r = 0; r < rows; r++) {
                    int ty = ty0 + r;
                    if (r == 0) {
                        for (int i = 0; i < 4; i++) splitRow(xs, plane, 2 * ty - 1 + i, h, w, up, padded, even[i], odd[i]);
                    } else {
                        // windows of neighbouring tile rows overlap by two input rows: keep them
                        rotate(even);
                        rotate(odd);
                        for (int i = 2; i < 4; i++) splitRow(xs, plane, 2 * ty - 1 + i, h, w, up, padded, even[i], odd[i]);
                    }
                    for (int tx = 0; tx < tw; tx += V) transformTiles(even, odd, tx, out);
                    scatterPacked(out, tw, r * tw, cc, c, tilesPad, v);
                }
            }
        });
    }

    /** rows[0], rows[1] = rows[2], rows[3] (the old first two become scratch for the new last two). */
    private static void rotate(float[][] rows) {
        float[] a = rows[0], b = rows[1];
        rows[0] = rows[2];
        rows[1] = rows[3];
        rows[2] = a;
        rows[3] = b;
    }

    /**
     * Row iy of the (upsampled) image with one zero column on the left, zeros for rows outside,
     * as even/odd columns. Upsampled by 2, padded column 2q + 1 and 2q + 2 both hold source
     * pixel q, so even = [0, x0, x1, ...] and odd = [x0, x1, ...]: two copies, no deinterleave.
     */
    private static void splitRow(MemorySegment xs, long plane, int iy, int h, int w, int up, float[] padded, float[] even,
                                 float[] odd) {
        if (iy < 0 || iy >= h) {
            java.util.Arrays.fill(even, 0f);
            java.util.Arrays.fill(odd, 0f);
            return;
        }
        if (up == 2) {
            int sw = w / 2;
            long src = plane + (long) (iy / 2) * sw * Float.BYTES;
            even[0] = 0f;
            MemorySegment.copy(xs, Access.F, src, even, 1, sw);
            java.util.Arrays.fill(even, sw + 1, even.length, 0f);
            MemorySegment.copy(xs, Access.F, src, odd, 0, sw);
            java.util.Arrays.fill(odd, sw, odd.length, 0f);
            return;
        }
        padded[0] = 0f;                                                   // the left padding column
        MemorySegment.copy(xs, Access.F, plane + (long) iy * w * Float.BYTES, padded, 1, w);
        java.util.Arrays.fill(padded, w + 1, padded.length, 0f);          // right padding and slack
        for (int q = 0; q < even.length; q++) {
            even[q] = padded[2 * q];
            odd[q] = padded[2 * q + 1];
        }
    }

    /**
     * The 16 transformed values of tiles tx..tx+V of one tile row, into out[ξ·4 + ν][tx..].
     * Written out in locals: arrays of vectors, or a switch returning vectors, get them boxed.
     */
    private static void transformTiles(float[][] even, float[][] odd, int tx, float[][] out) {
        // (d B)[i, j] for input row i: d_k is column 2tx + k = even[tx], odd[tx], even[tx+1], odd[tx+1]
        FloatVector e, o, e1, o1;
        e = FloatVector.fromArray(SP, even[0], tx); o = FloatVector.fromArray(SP, odd[0], tx);
        e1 = FloatVector.fromArray(SP, even[0], tx + 1); o1 = FloatVector.fromArray(SP, odd[0], tx + 1);
        FloatVector r00 = e.sub(e1), r01 = o.add(e1), r02 = e1.sub(o), r03 = o.sub(o1);
        e = FloatVector.fromArray(SP, even[1], tx); o = FloatVector.fromArray(SP, odd[1], tx);
        e1 = FloatVector.fromArray(SP, even[1], tx + 1); o1 = FloatVector.fromArray(SP, odd[1], tx + 1);
        FloatVector r10 = e.sub(e1), r11 = o.add(e1), r12 = e1.sub(o), r13 = o.sub(o1);
        e = FloatVector.fromArray(SP, even[2], tx); o = FloatVector.fromArray(SP, odd[2], tx);
        e1 = FloatVector.fromArray(SP, even[2], tx + 1); o1 = FloatVector.fromArray(SP, odd[2], tx + 1);
        FloatVector r20 = e.sub(e1), r21 = o.add(e1), r22 = e1.sub(o), r23 = o.sub(o1);
        e = FloatVector.fromArray(SP, even[3], tx); o = FloatVector.fromArray(SP, odd[3], tx);
        e1 = FloatVector.fromArray(SP, even[3], tx + 1); o1 = FloatVector.fromArray(SP, odd[3], tx + 1);
        FloatVector r30 = e.sub(e1), r31 = o.add(e1), r32 = e1.sub(o), r33 = o.sub(o1);
        // V = Bᵀ (d B): rows r0 − r2, r1 + r2, r2 − r1, r1 − r3
        r00.sub(r20).intoArray(out[0], tx);
        r01.sub(r21).intoArray(out[1], tx);
        r02.sub(r22).intoArray(out[2], tx);
        r03.sub(r23).intoArray(out[3], tx);
        r10.add(r20).intoArray(out[4], tx);
        r11.add(r21).intoArray(out[5], tx);
        r12.add(r22).intoArray(out[6], tx);
        r13.add(r23).intoArray(out[7], tx);
        r20.sub(r10).intoArray(out[8], tx);
        r21.sub(r11).intoArray(out[9], tx);
        r22.sub(r12).intoArray(out[10], tx);
        r23.sub(r13).intoArray(out[11], tx);
        r10.sub(r30).intoArray(out[12], tx);
        r11.sub(r31).intoArray(out[13], tx);
        r12.sub(r32).intoArray(out[14], tx);
        r13.sub(r33).intoArray(out[15], tx);
    }

    /**
     * One channel's transformed tile row (tiles t0..t0+tw of the band) into V's packed panels:
     * V_e element (c, t) at e·C·tilesPad + (t − t mod NR)·C + c·NR + t mod NR.
     */
    private static void scatterPacked(float[][] out, int tw, int t0, int cc, int c, int tilesPad, float[] v) {
        int nr = Gemm.packedPanelWidth();
        for (int e = 0; e < 16; e++) {
            long block = (long) e * c * tilesPad;
            for (int tx = 0; tx < tw; ) {
                int t = t0 + tx, pos = t % nr, len = Math.min(nr - pos, tw - tx);
                System.arraycopy(out[e], tx, v, (int) (block + (long) (t - pos) * c + (long) cc * nr + pos), len);
                tx += len;
            }
        }
    }

    /**
     * out pixels of the band's tiles: Y = Aᵀ M A (+ bias), Aᵀ = [1 1 1 0; 0 1 −1 −1], written
     * where they fall inside the image (the last tile row/column of an odd size is cut).
     */
    private static void outputTransform(MemorySegment m, int o, int h, int w, int ty0, int rows, int tw, int bandTiles,
                                        float[] bias, MemorySegment os, long outOff) {
        CpuThreads.parallelFor(o, 1, (start, end) -> {
            float[] y00 = new float[tw + V], y01 = new float[tw + V], y10 = new float[tw + V], y11 = new float[tw + V];
            float[] line = new float[2 * tw];
            for (int oo = start; oo < end; oo++) {
                float b = bias == null ? 0f : bias[oo];
                for (int r = 0; r < rows; r++) {
                    topRow(m, oo, o, bandTiles, (long) r * tw, tw, b, y00, y01);
                    bottomRow(m, oo, o, bandTiles, (long) r * tw, tw, b, y10, y11);
                    int oy = 2 * (ty0 + r);
                    writeRow(y00, y01, tw, w, line, os, outOff + ((long) oo * h + oy) * w * Float.BYTES);
                    if (oy + 1 < h) writeRow(y10, y11, tw, w, line, os, outOff + ((long) oo * h + oy + 1) * w * Float.BYTES);
                }
            }
        });
    }

    /**
     * The top output row of tiles t0..t0+tw of channel oo into y00, y01 (left and right pixels).
     * The two rows are loop methods of their own with no vector argument: written inline in the
     * lambda above (24 segment loads per step), the helpers outgrew C2's inlining budget and
     * every loaded vector went to the heap (GBs a minute in a VQGAN training run).
     */
    private static void topRow(MemorySegment m, int oo, int o, int bandTiles, long t0, int tw, float b, float[] y00, float[] y01) {
        for (int tx = 0; tx < tw; tx += V) {
            long t = t0 + tx;
            FloatVector s0 = top(m, 0, oo, o, bandTiles, t), s1 = top(m, 1, oo, o, bandTiles, t);
            FloatVector s2 = top(m, 2, oo, o, bandTiles, t), s3 = top(m, 3, oo, o, bandTiles, t);
            s0.add(s1).add(s2).add(b).intoArray(y00, tx);
            s1.sub(s2).sub(s3).add(b).intoArray(y01, tx);
        }
    }

    /** The bottom output row of tiles t0..t0+tw of channel oo into y10, y11 (see {@link #topRow}). */
    private static void bottomRow(MemorySegment m, int oo, int o, int bandTiles, long t0, int tw, float b, float[] y10, float[] y11) {
        for (int tx = 0; tx < tw; tx += V) {
            long t = t0 + tx;
            FloatVector q0 = bottom(m, 0, oo, o, bandTiles, t), q1 = bottom(m, 1, oo, o, bandTiles, t);
            FloatVector q2 = bottom(m, 2, oo, o, bandTiles, t), q3 = bottom(m, 3, oo, o, bandTiles, t);
            q0.add(q1).add(q2).add(b).intoArray(y10, tx);
            q1.sub(q2).sub(q3).add(b).intoArray(y11, tx);
        }
    }

    /** (Aᵀ M)[0, j] of tiles t..: M0j + M1j + M2j. */
    private static FloatVector top(MemorySegment m, int j, int oo, int o, int bandTiles, long t) {
        return load(m, j, oo, o, bandTiles, t).add(load(m, 4 + j, oo, o, bandTiles, t)).add(load(m, 8 + j, oo, o, bandTiles, t));
    }

    /** (Aᵀ M)[1, j] of tiles t..: M1j − M2j − M3j. */
    private static FloatVector bottom(MemorySegment m, int j, int oo, int o, int bandTiles, long t) {
        return load(m, 4 + j, oo, o, bandTiles, t).sub(load(m, 8 + j, oo, o, bandTiles, t)).sub(load(m, 12 + j, oo, o, bandTiles, t));
    }

    /** M_e[o, t..t+V); lanes past the row's last tile are ignored (the buffer has V floats of slack). */
    private static FloatVector load(MemorySegment m, int e, int oo, int o, int bandTiles, long t) {
        return FloatVector.fromMemorySegment(SP, m, (((long) e * o + oo) * bandTiles + t) * Float.BYTES, LE);
    }

    /** Interleaves a tile row's left and right output columns into one image row of w pixels. */
    private static void writeRow(float[] left, float[] right, int tw, int w, float[] line, MemorySegment os, long at) {
        for (int tx = 0; tx < tw; tx++) {
            line[2 * tx] = left[tx];
            line[2 * tx + 1] = right[tx];
        }
        MemorySegment.copy(line, 0, os, Access.F, at, w);
    }
}
