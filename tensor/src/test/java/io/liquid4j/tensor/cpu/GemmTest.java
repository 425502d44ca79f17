package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Gemm#gemm} against {@link Gemm#gemmReference} (double accumulation). Each case pads
 * every leading dimension, starts every operand at an odd element offset, and checks that C
 * outside the m×n window is left untouched. The error bound is relative to Σ|a||b| per element,
 * computed by the reference on |A| and |B|.
 */
class GemmTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final double REL_TOL = 1e-5;
    private static final DType[] B_TYPES = {DType.F32, DType.BF16, DType.F16};

    /** One product: shape, layouts, type of B, overwrite or accumulate. */
    record Case(int m, int n, int k, boolean transA, boolean transB, DType bType, boolean accumulate) {
        @Override
        public String toString() {
            return m + "x" + n + "x" + k + (transA ? " At" : "") + (transB ? " Bt" : "") + " " + bType
                    + (accumulate ? " +=" : "");
        }
    }

    static Stream<Arguments> oddSizesEveryLayout() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {127, 130, 3}, {65, 1, 127}, {2, 130, 33}, {5, 17, 130}};
        Stream.Builder<Arguments> cases = Stream.builder();
        int i = 0;
        for (int[] s : shapes) {
            for (DType t : B_TYPES) {
                for (int layout = 0; layout < 4; layout++) {
                    boolean accumulate = (i++ & 1) == 1;
                    cases.add(Arguments.of(new Case(s[0], s[1], s[2], (layout & 1) != 0, (layout & 2) != 0, t, accumulate)));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oddSizesEveryLayout")
    void oddSizesEveryLayout(Case c) {
        try (Arena arena = Arena.ofConfined()) {
            check(arena, c, 1);
        }
    }

    /**
     * Small m takes the streaming path (B read in place); for the [n, k] weight layout it goes up
     * to MAX_M_ROWS_OF_W(16), with x rows in pairs plus a leftover and W rows in eights (sixteens for one F32 x row on
     * AVX-512) plus leftovers;
     * for [k, n] the columns split into ranges (one per thread, more past 4096 columns).
     */
    static Stream<Arguments> gemvShapes() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (DType t : B_TYPES) {
            int wideM = t == DType.F32 ? GemmGemv.MAX_M_ROWS_OF_W : GemmGemv.MAX_M_ROWS_OF_W16;
            for (int m = 1; m <= GemmGemv.MAX_M + 1; m++) {
                cases.add(Arguments.of(new Case(m, 203, 517, false, true, t, m % 2 == 0)));
                cases.add(Arguments.of(new Case(m, 1037, 65, m == 2, false, t, m % 2 == 1)));
            }
            cases.add(Arguments.of(new Case(2, 9001, 9, false, false, t, true)));
            cases.add(Arguments.of(new Case(7, 61, 300, true, true, t, false)));
            cases.add(Arguments.of(new Case(wideM, 45, 129, false, true, t, true)));
            cases.add(Arguments.of(new Case(wideM + 1, 45, 129, false, true, t, false)));
            // many x rows over W streamed in long runs of adjacent rows (blocks of 8 streams × up to 8 rows)
            cases.add(Arguments.of(new Case(wideM, 203, 129, false, true, t, true)));
            cases.add(Arguments.of(new Case(wideM - 1, 203, 129, false, true, t, false)));
            cases.add(Arguments.of(new Case(1, 4099, 1024, false, true, t, false)));
            // k over several chunks of the many-x-row loop (GemvBf16.dotRows), odd m, a tail past the last chunk
            cases.add(Arguments.of(new Case(4, 203, 1100, false, true, t, false)));
            cases.add(Arguments.of(new Case(9, 45, 2061, true, true, t, true)));
            cases.add(Arguments.of(new Case(wideM, 33, 1030, false, true, t, false)));
            // an odd number of whole vectors in the last chunk for both shapes (300: 37 of 8 lanes; 1077: 3 of 16),
            // which the F16 pairs loop (two vectors a pass) ends with one
            cases.add(Arguments.of(new Case(2, 45, 300, false, true, t, true)));
            cases.add(Arguments.of(new Case(6, 45, 1077, false, true, t, false)));
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gemvShapes")
    void gemvPathInParallel(Case c) {
        try (Arena arena = Arena.ofShared()) {
            check(arena, c, 3);
        }
    }

    /** Shapes that cross every blocking boundary (MC, NC, KC passes) of the packed path, on the pool. */
    static Stream<Arguments> blockBoundaries() {
        int mc = GemmBlocked.MC, nc = GemmBlocked.NC, kc = GemmBlocked.KC;
        int mr = GemmKernel.MR, nr = GemmKernel.NR;
        return Stream.of(
                new Case(300, 520, 700, false, false, DType.F32, false),
                new Case(300, 520, 700, true, true, DType.BF16, true),
                new Case(2 * mc + mr + 1, 2 * nr + 3, 2 * kc + 7, false, true, DType.F32, true),
                new Case(mc + 1, 41, 2 * kc + 1, true, false, DType.F16, false),
                new Case(mr + 3, nc + nr + 5, 19, false, false, DType.BF16, true),
                new Case(mr + 1, nc + 1, 9, true, true, DType.F32, false),
                // several column blocks per thread: A packed once and reused (both A layouts)
                new Case(mc + 5, 3 * nc + nr + 9, kc + 5, false, false, DType.F32, true),
                new Case(mr + 2, 3 * nc + 3, 2 * kc + 1, true, false, DType.BF16, false)).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blockBoundaries")
    void blockBoundariesInParallel(Case c) {
        try (Arena arena = Arena.ofShared()) {
            check(arena, c, 5);
        }
    }

    @Test
    void kZeroZeroesOrKeepsC() {
        try (Arena arena = Arena.ofConfined()) {
            for (boolean accumulate : new boolean[] {false, true}) {
                MemorySegment a = arena.allocate(16), b = arena.allocate(16);
                MemorySegment c = arena.allocate(4 * 6 * Float.BYTES);
                for (int i = 0; i < 24; i++) c.setAtIndex(F32, i, 7f);
                Gemm.gemm(3, 5, 0, a, 0, 1, false, b, 0, 5, false, DType.F32, c, 4, 6, accumulate);
                for (int i = 0; i < 24; i++) {
                    int row = (i - 1) / 6, col = (i - 1) % 6;
                    boolean inside = i >= 1 && row < 3 && col < 5;
                    assertEquals(inside && !accumulate ? 0f : 7f, c.getAtIndex(F32, i), "element " + i);
                }
            }
        }
    }

    /** 16-bit decoding of zeros, extremes, subnormals, infinities and NaN, in the vector and scalar paths. */
    @Test
    void decodesSpecialValues() {
        float[] specials = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, -3.5762787e-7f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f, 3e38f, -1.17549435e-38f};
        int n = 5 * specials.length + 3;
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.BF16, DType.F16}) {
                MemorySegment b = arena.allocate((long) n * 2);
                for (int j = 0; j < n; j++) {
                    float v = specials[j % specials.length];
                    b.setAtIndex(I16, j, t == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v));
                }
                for (int m : new int[] {1, GemmGemv.MAX_M + 1}) {   // streaming path, then packed path
                    MemorySegment a = arena.allocate((long) m * Float.BYTES), c = arena.allocate((long) m * n * Float.BYTES);
                    for (int i = 0; i < m; i++) a.setAtIndex(F32, i, 1f);
                    Gemm.gemm(m, n, 1, a, 0, 1, false, b, 0, n, false, t, c, 0, n, false);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            short bits = b.getAtIndex(I16, j);
                            float want = t == DType.BF16 ? DType.bf16ToFloat(bits) : DType.f16ToFloat(bits);
                            float got = c.getAtIndex(F32, (long) i * n + j);
                            if (!(got == want || Float.isNaN(got) && Float.isNaN(want))) {
                                fail(t + " m=" + m + " column " + j + ": decoded " + got + ", expected " + want);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The same values through the [n, k] weight layout's row loops (GemvBf16, GemvF16: two 16-bit
     * values per int lane, even and odd halves decoded apart): each W row holds one special value at
     * a position that walks over both halves, every lane and the scalar tail; x is all ones.
     */
    @Test
    void decodesSpecialValuesInWeightRows() {
        float[] specials = {0f, -0f, 1f, -2.5f, 65504f, -65504f, 6.1035156e-5f, 5.9604645e-8f, -3.5762787e-7f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f, 3e38f, -1.17549435e-38f};
        int k = 4 * GemmDecode.V + 3, n = 8 * 16 + 5;
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.BF16, DType.F16}) {
                MemorySegment b = arena.allocate((long) n * k * 2);
                for (int j = 0; j < n; j++) {
                    float v = specials[j % specials.length];
                    b.setAtIndex(I16, (long) j * k + (j * 7L) % k, t == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v));
                }
                for (int m : new int[] {1, 2, 3, 4, 5}) {
                    MemorySegment a = arena.allocate((long) m * k * Float.BYTES), c = arena.allocate((long) m * n * Float.BYTES);
                    for (int i = 0; i < m * k; i++) a.setAtIndex(F32, i, 1f);
                    Gemm.gemm(m, n, k, a, 0, k, false, b, 0, k, true, t, c, 0, n, false);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            short bits = b.getAtIndex(I16, (long) j * k + (j * 7L) % k);
                            float want = t == DType.BF16 ? DType.bf16ToFloat(bits) : DType.f16ToFloat(bits);
                            float got = c.getAtIndex(F32, (long) i * n + j);
                            if (!(got == want || Float.isNaN(got) && Float.isNaN(want))) {
                                fail(t + " m=" + m + " row " + j + " at " + (j * 7) % k + ": decoded " + got + ", expected " + want);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Many x rows against 16-bit W rows give each row the bits it gets in a pair of rows: the
     * many-row loops (GemvBf16.dotRows, GemvF16.dotRows) add the same products in the same order,
     * chunk by chunk.
     */
    @Test
    void manyRowsGiveThePairsBits() {
        int n = 8 * 3 + 5, k = 3 * GemvBf16.CHUNK + 2 * GemmDecode.V + 5;
        try (Arena arena = Arena.ofConfined()) {
            Random random = new Random(7);
            for (DType t : new DType[] {DType.BF16, DType.F16}) {
                MemorySegment b = arena.allocate((long) n * k * 2);
                fillB(b, t, random);
                for (int m : new int[] {4, 6, 8, 11}) {
                    MemorySegment a = arena.allocate((long) m * k * Float.BYTES);
                    fillF32(a, random);
                    MemorySegment all = arena.allocate((long) m * n * Float.BYTES);
                    Gemm.gemm(m, n, k, a, 0, k, false, b, 0, k, true, t, all, 0, n, false);
                    for (int i = 0; i + 2 <= m; i += 2) {
                        MemorySegment pair = arena.allocate(2L * n * Float.BYTES);
                        Gemm.gemm(2, n, k, a, (long) i * k * Float.BYTES, k, false, b, 0, k, true, t, pair, 0, n, false);
                        for (int r = 0; r < 2 * n; r++) {
                            assertEquals(Float.floatToRawIntBits(pair.getAtIndex(F32, r)), Float.floatToRawIntBits(all.getAtIndex(F32, (long) i * n + r)),
                                    t + " m=" + m + " row " + (i + r / n) + " column " + r % n);
                        }
                    }
                }
            }
        }
    }

    /**
     * A pair of x rows against the 8 BF16 W rows of a group in one loop (GemvBf16.dot8x2, what the
     * 16-lane shape runs) gives each (x row, W row) the bits of the two four-row passes (dot4x2,
     * what the 8-lane shape runs), in the same places of out; rows not adjacent in memory (a
     * stride of several rows, as the streams use) and a k with a scalar tail.
     */
    @Test
    void eightRowPairsLoopGivesTheFourRowBits() {
        int k = 5 * 2 * GemmDecode.V + 7;
        long rowBytes = 3L * k * 2;
        try (Arena arena = Arena.ofConfined()) {
            Random random = new Random(13);
            MemorySegment w = arena.allocate(8 * rowBytes);
            fillB(w, DType.BF16, random);
            float[] x = new float[3 * k];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            float[] eight = new float[16], four = new float[16];
            GemvBf16.dot8x2(x, 0, 2 * k, w, 0, rowBytes, k, eight);
            GemvBf16.dot4x2(x, 0, 2 * k, w, 0, rowBytes, k, four, 0);
            GemvBf16.dot4x2(x, 0, 2 * k, w, 4 * rowBytes, rowBytes, k, four, 8);
            for (int r = 0; r < 16; r++) {
                assertEquals(Float.floatToRawIntBits(four[r]), Float.floatToRawIntBits(eight[r]), "out[" + r + "]");
            }
        }
    }

    /**
     * An F16 infinity or NaN in one W row sends its whole group of rows to the exact one-row loop
     * (GemvF16.dot); the other rows of that group must keep the bits the fast loops give them when
     * the row holds a finite value instead, for one x row, a pair and many rows (every loop).
     */
    @Test
    void f16SpecialValueLeavesTheOtherRowsBits() {
        int n = 8 * 4 + 3, k = 3 * GemvF16.CHUNK + 2 * GemmDecode.V + 5;
        try (Arena arena = Arena.ofConfined()) {
            Random random = new Random(11);
            MemorySegment finite = arena.allocate((long) n * k * 2), special = arena.allocate((long) n * k * 2);
            fillB(finite, DType.F16, random);
            for (short bits : new short[] {0x7c00, (short) 0xfc00, 0x7e01}) {
                special.copyFrom(finite);
                int row = 8 + 3;   // the second group
                special.setAtIndex(I16, (long) row * k + 2 * GemmDecode.V + 1, bits);
                for (int m : new int[] {1, 2, 3, 4, 6}) {
                    MemorySegment a = arena.allocate((long) m * k * Float.BYTES);
                    fillF32(a, random);
                    MemorySegment want = arena.allocate((long) m * n * Float.BYTES), got = arena.allocate((long) m * n * Float.BYTES);
                    Gemm.gemm(m, n, k, a, 0, k, false, finite, 0, k, true, DType.F16, want, 0, n, false);
                    Gemm.gemm(m, n, k, a, 0, k, false, special, 0, k, true, DType.F16, got, 0, n, false);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float g = got.getAtIndex(F32, (long) i * n + j);
                            if (j == row) {
                                boolean nan = bits == 0x7e01;
                                if (nan ? !Float.isNaN(g) : !Float.isInfinite(g)) fail("m=" + m + " x row " + i + ": the special row gave " + g);
                                continue;
                            }
                            assertEquals(Float.floatToRawIntBits(want.getAtIndex(F32, (long) i * n + j)), Float.floatToRawIntBits(g),
                                    "m=" + m + " x row " + i + " W row " + j + " beside " + Integer.toHexString(bits & 0xffff));
                        }
                    }
                }
            }
        }
    }

    @Test
    void emptyShapesTouchNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64);
            Gemm.gemm(0, 4, 4, s, 0, 4, false, s, 0, 4, false, DType.F32, s, 0, 4, false);
            Gemm.gemm(4, 0, 4, s, 0, 4, false, s, 0, 1, false, DType.F32, s, 0, 1, false);
            assertEquals(-1L, s.mismatch(arena.allocate(64)), "segment changed");
        }
    }

    @Test
    void rejectsBadArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(1024);
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.gemm(2, 2, 2, s, 0, 2, false, s, 0, 2, false, DType.I32, s, 0, 2, false));
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.gemm(2, 3, 4, s, 0, 3, false, s, 0, 3, false, DType.F32, s, 0, 3, false));
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.gemm(-1, 3, 4, s, 0, 4, false, s, 0, 3, false, DType.F32, s, 0, 3, false));
        }
    }

    /**
     * Indirect B (rows at arbitrary, overlapping byte offsets, as the implicit-im2col convolution
     * uses them) equals the same product with those rows gathered into a plain [k, n] B; m = 3
     * takes the streaming path, the others the packed one.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("indirectShapes")
    void indirectRowsEqualGatheredRows(int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            Random random = new Random(m * 1000L + n + k);
            int pool = n + 64;
            MemorySegment src = arena.allocate((long) pool * 4);
            fillF32(src, random);
            long[] rows = new long[k];
            MemorySegment gathered = arena.allocate((long) k * n * 4);
            for (int p = 0; p < k; p++) {
                rows[p] = (long) random.nextInt(pool - n + 1) * 4;     // overlapping windows of one buffer
                MemorySegment.copy(src, rows[p], gathered, (long) p * n * 4, (long) n * 4);
            }
            MemorySegment a = arena.allocate((long) m * k * 4);
            fillF32(a, random);
            MemorySegment got = arena.allocate((long) m * n * 4), want = arena.allocate((long) m * n * 4);
            Gemm.gemmIndirectB(m, n, k, a, 0, k, false, src, rows, DType.F32, got, 0, n, false);
            Gemm.gemm(m, n, k, a, 0, k, false, gathered, 0, n, false, DType.F32, want, 0, n, false);
            for (long e = 0; e < (long) m * n; e++) {
                assertEquals(want.getAtIndex(F32, e), got.getAtIndex(F32, e), 1e-4f * (1 + Math.abs(want.getAtIndex(F32, e))), "element " + e);
            }
        }
    }

    static Stream<Arguments> indirectShapes() {
        return Stream.of(Arguments.of(3, 700, 37), Arguments.of(40, 1500, 300), Arguments.of(129, 70, 1100));
    }

    /**
     * B handed over in the documented packed panel order gives the same C as the plain layout, and
     * A packed once by Gemm.packA the same bits again.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("prepackedShapes")
    void prepackedBEqualsPlainB(int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            Random random = new Random(m * 7919L + n * 31 + k);
            int nr = Gemm.packedPanelWidth(), panels = (n + nr - 1) / nr, off = 5;
            float[] packed = new float[off + panels * nr * k];
            MemorySegment plain = arena.allocate((long) k * n * 4), a = arena.allocate((long) m * k * 4);
            fillF32(a, random);
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    float v = (float) random.nextGaussian();
                    plain.setAtIndex(F32, (long) p * n + j, v);
                    packed[off + (j / nr) * nr * k + p * nr + j % nr] = v;
                }
            }
            MemorySegment got = arena.allocate((long) m * n * 4), want = arena.allocate((long) m * n * 4);
            Gemm.gemmPrepackedB(m, n, k, a, 0, k, packed, off, got, 0, n);
            Gemm.gemm(m, n, k, a, 0, k, false, plain, 0, n, false, DType.F32, want, 0, n, false);
            for (long e = 0; e < (long) m * n; e++) {
                assertEquals(want.getAtIndex(F32, e), got.getAtIndex(F32, e), 1e-4f * (1 + Math.abs(want.getAtIndex(F32, e))), "element " + e);
            }
            assertThrows(IllegalArgumentException.class, () -> Gemm.gemmPrepackedB(m, n, k, a, 0, k, new float[10], 0, got, 0, n));
            // A packed once (Gemm.packA) gives gemmPrepackedB's bits
            float[] packedA = Gemm.packA(m, k, a, 0, k);
            MemorySegment both = arena.allocate((long) m * n * 4);
            Gemm.gemmPrepacked(m, n, k, packedA, 0, packed, off, both, 0, n);
            assertEquals(-1L, both.mismatch(got), "prepacked A and B against prepacked B");
            assertThrows(IllegalArgumentException.class, () -> Gemm.gemmPrepacked(m, n, k, new float[10], 0, packed, off, both, 0, n));
        }
    }

    static Stream<Arguments> prepackedShapes() {
        return Stream.of(Arguments.of(3, 70, 16), Arguments.of(130, 2 * GemmBlocked.NC + 45, 129), Arguments.of(17, 33, 1024));
    }

    @Test
    void indirectRowsOutsideBAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(16 * 4), b = arena.allocate(100 * 4), c = arena.allocate(64 * 4);
            long[] rows = {0, 4 * 40};                                  // second row: 40 + 64 > 100 elements
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Gemm.gemmIndirectB(1, 64, 2, a, 0, 2, false, b, rows, DType.F32, c, 0, 64, false));
            assertEquals(true, e.getMessage().contains("B row 1"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.gemmIndirectB(1, 64, 3, a, 0, 3, false, b, rows, DType.F32, c, 0, 64, false));
        }
    }

    // ---- harness ----

    private static void check(Arena arena, Case c, long seed) {
        int m = c.m(), n = c.n(), k = c.k();
        int lda = (c.transA() ? m : k) + 3, ldb = (c.transB() ? k : n) + 5, ldc = n + 2;
        int es = c.bType().byteSize();
        long aOff = 4 * 3, bOff = (long) es * 7, cOff = 4 * 5;
        long aElems = (long) (c.transA() ? k : m) * lda, bElems = (long) (c.transB() ? n : k) * ldb;
        long cElems = (long) m * ldc;
        Random random = new Random(seed * 31 + c.hashCode());
        MemorySegment a = arena.allocate(aOff + aElems * 4 + 8);
        MemorySegment b = arena.allocate(bOff + bElems * es + 8);
        MemorySegment c0 = arena.allocate(cOff + cElems * 4 + 8);
        fillF32(a, random);
        fillB(b, c.bType(), random);
        fillF32(c0, random);

        MemorySegment got = arena.allocate(c0.byteSize()).copyFrom(c0);
        MemorySegment want = arena.allocate(c0.byteSize()).copyFrom(c0);
        Gemm.gemm(m, n, k, a, aOff, lda, c.transA(), b, bOff, ldb, c.transB(), c.bType(), got, cOff, ldc, c.accumulate());
        Gemm.gemmReference(m, n, k, a, aOff, lda, c.transA(), b, bOff, ldb, c.transB(), c.bType(), want, cOff, ldc,
                c.accumulate());

        // Σ|a||b| (+ |c| when accumulating) per element, for the error bound.
        MemorySegment bound = abs(arena, c0, DType.F32);
        Gemm.gemmReference(m, n, k, abs(arena, a, DType.F32), aOff, lda, c.transA(), abs(arena, b, c.bType()), bOff, ldb,
                c.transB(), c.bType(), bound, cOff, ldc, c.accumulate());

        for (long e = 0; e * 4 + 4 <= c0.byteSize(); e++) {
            long off = e * 4;
            long rel = off - cOff;
            boolean inside = rel >= 0 && rel % 4 == 0 && rel / 4 < cElems && (rel / 4) % ldc < n;
            float g = got.get(F32, off);
            if (!inside) {
                if (Float.floatToRawIntBits(g) != Float.floatToRawIntBits(c0.get(F32, off))) {
                    fail(c + ": wrote outside C at byte " + off);
                }
                continue;
            }
            double w = want.get(F32, off), tol = REL_TOL * bound.get(F32, off) + 1e-30;
            if (!(Math.abs(g - w) <= tol)) {
                long i = rel / 4 / ldc, j = rel / 4 % ldc;
                fail(c + ": C(" + i + "," + j + ") = " + g + ", reference " + w + ", tolerance " + tol);
            }
        }
    }

    private static void fillF32(MemorySegment s, Random random) {
        for (long off = 0; off + 4 <= s.byteSize(); off += 4) s.set(F32, off, (float) random.nextGaussian());
    }

    private static void fillB(MemorySegment s, DType type, Random random) {
        if (type == DType.F32) {
            fillF32(s, random);
            return;
        }
        for (long off = 0; off + 2 <= s.byteSize(); off += 2) {
            float v = (float) random.nextGaussian();
            s.set(I16, off, type == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v));
        }
    }

    /** Copy of s with the sign bit of every element cleared (elements of type t from byte 0). */
    private static MemorySegment abs(Arena arena, MemorySegment s, DType t) {
        MemorySegment out = arena.allocate(s.byteSize()).copyFrom(s);
        if (t == DType.F32) {
            for (long off = 0; off + 4 <= s.byteSize(); off += 4) out.set(F32, off, Math.abs(s.get(F32, off)));
        } else {
            for (long off = 0; off + 2 <= s.byteSize(); off += 2) out.set(I16, off, (short) (s.get(I16, off) & 0x7fff));
        }
        return out;
    }
}
