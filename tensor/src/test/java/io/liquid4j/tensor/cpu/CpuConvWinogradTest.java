package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Winograd F(2×2, 3×3) against a direct 3×3 convolution in double: odd and tiny sizes (cut edge
 * tiles), one and several bands of tile rows, one and several images (the threads share out
 * (image, band) pairs), with and without bias, and an output window that starts at an offset
 * (nothing written outside it).
 */
class CpuConvWinogradTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "n={0} c={1} o={2} {3}x{4} bandFloats={5} bias={6}")
    @CsvSource({
            "1, 16, 8, 9, 7, 100000000, true",
            "1, 17, 5, 1, 1, 100000000, false",
            "1, 16, 16, 2, 33, 100000000, true",
            "1, 20, 12, 31, 30, 4000, true",          // bands of a few tile rows
            "1, 24, 3, 16, 17, 1, false",             // one tile row per band
            "3, 16, 8, 9, 7, 100000000, true",        // one band per image
            "2, 20, 12, 31, 30, 4000, false"})        // several bands per image
    void matchesDirectConvolution(int n, int c, int o, int h, int w, long bandFloats, boolean withBias) {
        Random r = new Random(c * 1000L + h * 31 + w + n);
        float[] x = gauss(r, n * c * h * w), wt = gauss(r, o * c * 9), bias = withBias ? gauss(r, o) : null;
        long outAt = 12;                                              // bytes before the output window
        try (Arena arena = Arena.ofShared()) {
            MemorySegment xs = arena.allocate((long) x.length * 4 + 8), ws = arena.allocate((long) wt.length * 4);
            MemorySegment os = arena.allocate(outAt + (long) n * o * h * w * 4 + 16);
            MemorySegment.copy(x, 0, xs, F, 8, x.length);
            MemorySegment.copy(wt, 0, ws, F, 0, wt.length);
            os.fill((byte) 0x7f);
            CpuConvWinograd.forward(xs, 8, n, c, h, w, 1, ws, 0, o, bias, os, outAt, bandFloats);
            double maxErr = 0, scale = 1e-6;
            for (int img = 0; img < n; img++) for (int oo = 0; oo < o; oo++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        double s = bias == null ? 0 : bias[oo];
                        for (int cc = 0; cc < c; cc++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 3; j++) {
                                    int iy = y - 1 + i, ix = xx - 1 + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += (double) x[((img * c + cc) * h + iy) * w + ix] * wt[((oo * c + cc) * 3 + i) * 3 + j];
                                }
                            }
                        }
                        float got = os.get(F, outAt + ((((long) img * o + oo) * h + y) * w + xx) * 4);
                        maxErr = Math.max(maxErr, Math.abs(got - s));
                        scale = Math.max(scale, Math.abs(s));
                    }
                }
            }
            assertTrue(maxErr / scale < 1e-5, "rel err " + maxErr / scale);
            for (long b = 0; b < outAt; b++) assertTrue(os.get(ValueLayout.JAVA_BYTE, b) == 0x7f, "wrote before the output at byte " + b);
            for (long b = outAt + (long) n * o * h * w * 4; b < os.byteSize(); b++) {
                assertTrue(os.get(ValueLayout.JAVA_BYTE, b) == 0x7f, "wrote past the output at byte " + b);
            }
        }
    }

    /**
     * The small-image path against the band path: the same bits, for sizes whose tiles fill whole
     * vectors or leave lanes over, odd sizes, upsampled inputs, and groups of images that split
     * the batch unevenly (bandFloats small) or take it whole.
     */
    @ParameterizedTest(name = "n={0} c={1} o={2} {3}x{4} up={5} bandFloats={6} bias={7}")
    @CsvSource({
            "5, 16, 8, 8, 8, 1, 100000000, true",
            "3, 32, 64, 8, 8, 1, 20000, false",       // one image per group
            "7, 16, 16, 16, 16, 1, 40000, true",      // groups of 2, the last one short
            "4, 17, 5, 9, 7, 1, 100000000, true",     // cut edge tiles, lanes past the last tile
            "2, 16, 3, 1, 1, 1, 100000000, false",
            "3, 16, 12, 2, 33, 1, 100000000, true",
            "6, 16, 24, 16, 16, 2, 30000, true",      // upsampled 8×8 → 16×16
            "2, 20, 8, 10, 6, 2, 100000000, false",
            "3, 16, 16, 32, 32, 1, 100000000, true",  // the largest planes by default
            "2, 16, 8, 32, 30, 2, 100000000, false"})
    void planesMatchBandsBitForBit(int n, int c, int o, int h, int w, int up, long bandFloats, boolean withBias) {
        Random r = new Random(c * 7919L + h * 131 + w * 7 + n + up);
        int sh = h / up, sw = w / up;
        float[] x = gauss(r, n * c * sh * sw), wt = gauss(r, o * c * 9), bias = withBias ? gauss(r, o) : null;
        long outAt = 4, outBytes = (long) n * o * h * w * 4;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment xs = arena.allocate((long) x.length * 4), ws = arena.allocate((long) wt.length * 4);
            MemorySegment planes = arena.allocate(outAt + outBytes + 8), bands = arena.allocate(outAt + outBytes + 8);
            MemorySegment.copy(x, 0, xs, F, 0, x.length);
            MemorySegment.copy(wt, 0, ws, F, 0, wt.length);
            planes.fill((byte) 0x7f);
            bands.fill((byte) 0x7f);
            float[][] packedU = CpuConvWinograd.packedFilters(ws, 0, o, c);
            WinogradPlanes.forward(xs, 0, n, c, h, w, up, packedU, o, bias, planes, outAt, bandFloats);
            CpuConvWinograd.bands(xs, 0, n, c, h, w, up, packedU, o, bias, bands, outAt, 100_000_000L);
            long differ = MemorySegment.mismatch(planes, 0, planes.byteSize(), bands, 0, bands.byteSize());
            assertTrue(differ < 0, "first differing byte " + differ + " of " + planes.byteSize());
        }
    }

    private static float[] gauss(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
