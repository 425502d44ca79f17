package io.liquid4j.tensor.cpu;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * im2col's index map of one geometry: entry (ki·kw + kj)·OH·OW + oy·OW + ox of an (image,
 * channel)'s column block holds the input element iy·W + ix it copies (iy = oy·sh − ph + ki,
 * ix = ox·sw − pw + kj), or H·W, a zero slot past the plane, where that falls in the padding.
 * Maps are built once per geometry and shared; {@link CpuConv#COL2IM_MAP_LIMIT} bounds their size.
 */
final class TapMap {
    private TapMap() {}

    private record Geometry(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {}

    private static final Map<Geometry, int[]> MAPS = new ConcurrentHashMap<>();

    static int[] of(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
        return MAPS.computeIfAbsent(new Geometry(h, w, kh, kw, sh, sw, ph, pw), TapMap::build);
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
