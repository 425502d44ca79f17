package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * im2col / col2im for convolutions (contiguous F32). A convolution becomes one GEMM per image:
 * cols [C·kh·kw, OH·OW] is read once by the GEMM, so the extra memory traffic is one write and
 * one read of cols. Work splits over (image, channel) planes, each staged in a Java array; an
 * (image, channel)'s kh·kw rows of cols are one contiguous block.
 *
 * <p>Small planes (the training convolutions of a VQGAN at 8×8 to 32×32) go through an index map
 * ({@link TapMap}): for every entry of the block, the input element it copies, or a zero slot
 * for padding, so a plane is a run of vector gathers written straight out; row by row, a plane
 * of 8×8 was 72 copies of at most 8 floats and their fills. col2im gathers each pixel's entries
 * through the inverted map ({@link TapMap#sources}) in the order the row loops add them, so both
 * paths give the same bits.
 */
final class CpuConv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private CpuConv() {}

    /**
     * Column-block entries (kh·kw·OH·OW) up to which im2col and col2im go through the map, V
     * entries (col2im: V pixels) a vector gather: a 3×3 kernel over 32×32 (9216) too. Im2colBench,
     * 16 images at 32×32: im2col of 16 channels map 0.51–0.61 ms, rows 1.08–1.18 (with the scalar
     * gather loop the map had lost there, 1.44 ms, and im2col's limit was 4096); col2im of 32
     * channels map 2.45 ms, the scalar map 3.98. The maps of larger planes would outgrow the cache.
     */
    static final int MAP_LIMIT = 1 << 16;

    static int outSize(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

    static void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        if (blockEntries(x, cols, kh, kw, sh, sw, ph, pw) <= MAP_LIMIT) im2colMapped(x, kh, kw, sh, sw, ph, pw, cols);
        else im2colRows(x, kh, kw, sh, sw, ph, pw, cols);
    }

    static void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        if (blockEntries(x, cols, kh, kw, sh, sw, ph, pw) <= MAP_LIMIT) col2imMapped(cols, kh, kw, sh, sw, ph, pw, x);
        else col2imRows(cols, kh, kw, sh, sw, ph, pw, x);
    }

    /** kh·kw·OH·OW, the entries of one (image, channel)'s column block, after checking the operands. */
    private static long blockEntries(Tensor x, Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw) {
        check(x, cols);
        return (long) kh * kw * checkedPlane(outSize(x.size(2), kh, sh, ph), outSize(x.size(3), kw, sw, pw));
    }

    /** The operands of a mapped im2col / col2im: x's (image, channel) planes of hw floats at xo, their column blocks at co. */
    private record Mapped(int planes, int hw, int[] map, MemorySegment xs, long xo, MemorySegment cs, long co) {
        static Mapped of(Tensor x, Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw) {
            int h = x.size(2), w = x.size(3);
            return new Mapped(x.size(0) * x.size(1), h * w, TapMap.of(h, w, kh, kw, sh, sw, ph, pw),
                    CpuElementwise.seg(x), x.offset(), CpuElementwise.seg(cols), cols.offset());
        }
    }

    static void im2colMapped(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        Mapped g = Mapped.of(x, cols, kh, kw, sh, sw, ph, pw);
        int[] map = g.map;
        int full = map.length - map.length % V;
        CpuThreads.parallelFor(g.planes, 1, (s, e) -> {
            float[] in = new float[g.hw + 1];   // in[hw] stays 0: the padding slot
            for (int nc = s; nc < e; nc++) {
                MemorySegment.copy(g.xs, Access.F, (g.xo + (long) nc * g.hw) * 4, in, 0, g.hw);
                long out = (g.co + (long) nc * map.length) * 4;
                // V entries a gather (the scalar loop took ~2 cycles an entry)
                for (int t = 0; t < full; t += V) FloatVector.fromArray(F, in, 0, map, t).intoMemorySegment(g.cs, out + t * 4L, LE);
                for (int t = full; t < map.length; t++) g.cs.set(Access.F, out + t * 4L, in[map[t]]);
            }
        });
    }

    /**
     * col2im through {@link TapMap#sources}: each input pixel gathers its (at most kh·kw) column
     * entries in increasing entry order, V pixels at a time, the missing ones from a zero slot —
     * the same additions in the same order as adding the entries back through the map one by one
     * (x + 0 keeps x's bits, and no partial sum starting from +0 is −0), so the same bits as the
     * row loops too.
     */
    static void col2imMapped(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        Mapped g = Mapped.of(x, cols, kh, kw, sh, sw, ph, pw);
        int entries = g.map.length, taps = kh * kw, hw = g.hw;
        int[] sources = TapMap.sources(x.size(2), x.size(3), kh, kw, sh, sw, ph, pw);
        int full = hw - hw % V;
        CpuThreads.parallelFor(g.planes, 1, (s, e) -> {
            float[] in = new float[entries + 1];   // in[entries] stays 0: the slot of a missing entry
            for (int nc = s; nc < e; nc++) {
                MemorySegment.copy(g.cs, Access.F, (g.co + (long) nc * entries) * 4, in, 0, entries);
                long out = (g.xo + (long) nc * hw) * 4;
                for (int p = 0; p < full; p += V) {
                    FloatVector acc = FloatVector.zero(F);
                    for (int k = 0; k < taps; k++) acc = acc.add(FloatVector.fromArray(F, in, 0, sources, k * hw + p));
                    acc.intoMemorySegment(g.xs, out + p * 4L, LE);
                }
                for (int p = full; p < hw; p++) {
                    float acc = 0f;
                    for (int k = 0; k < taps; k++) acc += in[sources[k * hw + p]];
                    g.xs.set(Access.F, out + p * 4L, acc);
                }
            }
        });
    }

    static void im2colRows(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        MemorySegment xs = CpuElementwise.seg(x), cs = CpuElementwise.seg(cols);
        long xo = x.offset(), co = cols.offset();
        int plane = checkedPlane(oh, ow);
        // per (image, channel): the input plane in an array, each tap's [OH·OW] row built there
        // and copied out whole (element-wise segment access cost a third of a VQGAN training step)
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            float[] in = new float[h * w], tap = new float[plane];
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                MemorySegment.copy(xs, Access.F, (xo + (long) nc * h * w) * 4, in, 0, h * w);
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki, rb = oy * ow;
                            if (iy < 0 || iy >= h) {
                                Arrays.fill(tap, rb, rb + ow, 0f);
                                continue;
                            }
                            int lo = validFrom(pw, kj, sw, ow), hi = validTo(w, pw, kj, sw, ow), xrow = iy * w;
                            Arrays.fill(tap, rb, rb + lo, 0f);
                            if (sw == 1 && hi > lo) {
                                System.arraycopy(in, xrow + lo - pw + kj, tap, rb + lo, hi - lo);
                            } else {
                                for (int ox = lo; ox < hi; ox++) tap[rb + ox] = in[xrow + ox * sw - pw + kj];
                            }
                            Arrays.fill(tap, rb + Math.max(lo, hi), rb + ow, 0f);
                        }
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        MemorySegment.copy(tap, 0, cs, Access.F, row * 4, plane);
                    }
                }
            }
        });
    }

    static void col2imRows(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int oh = outSize(h, kh, sh, ph), ow = outSize(w, kw, sw, pw);
        MemorySegment xs = CpuElementwise.seg(x), cs = CpuElementwise.seg(cols);
        long xo = x.offset(), co = cols.offset();
        int plane = checkedPlane(oh, ow);
        // each (image, channel) plane of x receives only its own rows of cols: no write races;
        // it is summed in an array and written once
        CpuThreads.parallelFor(n * c, 1, (s, e) -> {
            float[] acc = new float[h * w], tap = new float[plane];
            for (int nc = s; nc < e; nc++) {
                int img = nc / c, ch = nc % c;
                Arrays.fill(acc, 0f);
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        long row = ((long) img * c * kh * kw + ((long) ch * kh + ki) * kw + kj) * plane + co;
                        MemorySegment.copy(cs, Access.F, row * 4, tap, 0, plane);
                        int lo = validFrom(pw, kj, sw, ow), hi = validTo(w, pw, kj, sw, ow);
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki;
                            if (iy < 0 || iy >= h) continue;
                            int rb = oy * ow, xrow = iy * w - pw + kj;
                            for (int ox = lo; ox < hi; ox++) acc[xrow + ox * sw] += tap[rb + ox];
                        }
                    }
                }
                MemorySegment.copy(acc, 0, xs, Access.F, (xo + (long) nc * h * w) * 4, h * w);
            }
        });
    }

    /** First output column whose input column ox·sw − pw + kj is ≥ 0 (ow where none is: padding wider than the output). */
    private static int validFrom(int pw, int kj, int sw, int ow) { return Math.min(ow, Math.max(0, Math.ceilDiv(pw - kj, sw))); }

    /** One past the last output column (below ow) whose input column ox·sw − pw + kj is < w. */
    private static int validTo(int w, int pw, int kj, int sw, int ow) {
        return Math.min(ow, Math.max(0, Math.ceilDiv(w + pw - kj, sw)));
    }

    private static int checkedPlane(int oh, int ow) {
        long p = (long) oh * ow;
        if (p > Integer.MAX_VALUE) throw new IllegalArgumentException("im2col: output plane of " + oh + "x" + ow + " is too large");
        return (int) p;
    }

    private static void check(Tensor x, Tensor cols) {
        if (x.dtype() != DType.F32 || cols.dtype() != DType.F32 || !x.isContiguous() || !cols.isContiguous() || x.dim() != 4) {
            throw new IllegalArgumentException("im2col/col2im need contiguous F32 [N,C,H,W] and cols, got " + x.describe() + " and " + cols.describe());
        }
    }
}
