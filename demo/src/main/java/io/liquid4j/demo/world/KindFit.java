package io.liquid4j.demo.world;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a shape's kind from how far its pixels lie towards a shape colour (the "alpha" map, 0 at
 * the background, 1 at the colour), by fitting each kind's {@link ShapeMask} and keeping the kind
 * that fits best (least squared difference).
 *
 * <p>A clean render matches its own mask exactly. A VQGAN round trip softens edges and moves the
 * half-way outline by a pixel (a square's corners round off, a small triangle's apex fades), so
 * each mask is also tried blurred once and twice by a 3×3 box, and in every box whose sides lie
 * within one pixel of the measured bounding box. Comparing the soft alpha map rather than a
 * thresholded outline keeps the sub-pixel evidence a blurred edge still carries.
 */
final class KindFit {
    /** Blur passes tried for each mask: sharp, once, twice. */
    private static final int BLURS = 3;
    /** Pixels a template extends past its box: two 3×3 blurs spread one pixel each. */
    private static final int PAD = BLURS - 1;
    /** Templates by kind, box size and blur; boxes are never larger than the image. */
    private static final Map<Long, double[]> TEMPLATES = new ConcurrentHashMap<>();

    private KindFit() {}

    /**
     * The kind whose mask best fits alpha (row-major, w×h) around the bounding box [x0, x1]×[y0,
     * y1] of the thresholded shape.
     */
    static ShapeKind fit(double[] alpha, int w, int h, int x0, int y0, int x1, int y1) {
        // A fixed window holding every candidate template, so every candidate is scored on the same pixels.
        int wx0 = x0 - 1 - PAD, wy0 = y0 - 1 - PAD, wx1 = x1 + 1 + PAD, wy1 = y1 + 1 + PAD;
        double windowEnergy = 0;
        for (int y = wy0; y <= wy1; y++) for (int x = wx0; x <= wx1; x++) windowEnergy += square(at(alpha, w, h, x, y));
        ShapeKind best = null;
        double bestCost = Double.MAX_VALUE;
        for (ShapeKind kind : ShapeKind.values()) {
            for (int bx0 = x0 - 1; bx0 <= x0 + 1; bx0++) {
                for (int bx1 = Math.max(bx0 + 2, x1 - 1); bx1 <= x1 + 1; bx1++) {
                    for (int by0 = y0 - 1; by0 <= y0 + 1; by0++) {
                        for (int by1 = Math.max(by0 + 2, y1 - 1); by1 <= y1 + 1; by1++) {
                            int bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
                            for (int blur = 0; blur < BLURS; blur++) {
                                double cost = windowEnergy + cost(alpha, w, h, template(kind, bw, bh, blur), bx0 - PAD, by0 - PAD, bw + 2 * PAD, bh + 2 * PAD);
                                if (cost < bestCost) {
                                    bestCost = cost;
                                    best = kind;
                                }
                            }
                        }
                    }
                }
            }
        }
        return best;
    }

    /**
     * The change in squared error over the window when the template (tw×th at tx, ty) replaces
     * zeros: Σ (a − t)² − a² = Σ t·(t − 2a).
     */
    private static double cost(double[] alpha, int w, int h, double[] t, int tx, int ty, int tw, int th) {
        double sum = 0;
        for (int j = 0; j < th; j++) {
            for (int i = 0; i < tw; i++) {
                double v = t[j * tw + i];
                if (v != 0) sum += v * (v - 2 * at(alpha, w, h, tx + i, ty + j));
            }
        }
        return sum;
    }

    private static double at(double[] alpha, int w, int h, int x, int y) {
        return x < 0 || y < 0 || x >= w || y >= h ? 0 : alpha[y * w + x];
    }

    private static double square(double v) { return v * v; }

    /** The mask of kind in a bw×bh box, padded by PAD on every side and box-blurred blur times. */
    private static double[] template(ShapeKind kind, int bw, int bh, int blur) {
        long key = ((long) kind.ordinal() << 40) | ((long) bw << 24) | ((long) bh << 8) | blur;
        return TEMPLATES.computeIfAbsent(key, k -> {
            int tw = bw + 2 * PAD, th = bh + 2 * PAD;
            double[] t = new double[tw * th];
            for (int j = 0; j < bh; j++) for (int i = 0; i < bw; i++) if (ShapeMask.covers(kind, bw, bh, i, j)) t[(j + PAD) * tw + i + PAD] = 1;
            for (int b = 0; b < blur; b++) t = boxBlur(t, tw, th);
            return t;
        });
    }

    /** 3×3 box blur with zeros outside. */
    private static double[] boxBlur(double[] t, int tw, int th) {
        double[] out = new double[t.length];
        for (int y = 0; y < th; y++) {
            for (int x = 0; x < tw; x++) {
                double s = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < tw && yy < th) s += t[yy * tw + xx];
                    }
                }
                out[y * tw + x] = s / 9;
            }
        }
        return out;
    }
}
