package io.liquid4j.tensor.cpu;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * im2col's index map of one geometry: entry (ki·kw + kj)·OH·OW + oy·OW + ox of an (image,
 * channel)'s column block holds the input element iy·W + ix it copies (iy = oy·sh − ph + ki,
 * ix = ox·sw − pw + kj), or H·W, a zero slot past the plane, where that falls in the padding.
 * Maps are built once per geometry and shared; {@link CpuConv#MAP_LIMIT} bounds their size.
 */
final class TapMap {
    private TapMap() {}

    private record Geometry(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {}

    private static final Map<Geometry, int[]> MAPS = new ConcurrentHashMap<>();

    static int[] of(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
        return MAPS.computeIfAbsent(new Geometry(h, w, kh, kw, sh, sw, ph, pw), TapMap::build);
    }

    private static final Map<Geometry, int[]> SOURCES = new ConcurrentHashMap<>();

    /**
     * The map inverted, for col2im as a gather: entry k·H·W + p lists the k-th column entry (in
     * increasing order) that copies input element p, or kh·kw·OH·OW (a zero slot past the block)
     * where p has fewer than kh·kw — each tap copies an input element at most once.
     */
    static int[] sources(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
        return SOURCES.computeIfAbsent(new Geometry(h, w, kh, kw, sh, sw, ph, pw), g -> {
            int[] map = of(g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw);
            int hw = g.h * g.w;
            int[] sources = new int[g.kh * g.kw * hw], count = new int[hw];
            Arrays.fill(sources, map.length);
            for (int t = 0; t < map.length; t++) {
                int p = map[t];
                if (p < hw) sources[count[p]++ * hw + p] = t;
            }
            return sources;
        });
    }

    private static int[] build(Geometry g) {
        int oh = CpuConv.outSize(g.h, g.kh, g.sh, g.ph), ow = CpuConv.outSize(g.w, g.kw, g.sw, g.pw), pad = g.h * g.w;
        int[] map = new int[g.kh * g.kw * oh * ow];
        int t = 0;
        for (int ki = 0; ki < g.kh; ki++) {
            for (int kj = 0; kj < g.kw; kj++) {
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * g.sh - g.ph + ki;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * g.sw - g.pw + kj;
                        map[t++] = iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? pad : iy * g.w + ix;
                    }
                }
            }
        }
        return map;
    }
}
