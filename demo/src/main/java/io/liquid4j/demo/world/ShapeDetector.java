package io.liquid4j.demo.world;

import io.liquid4j.image.RgbImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Finds shapes in a picture from its pixels alone.
 *
 * <p>Every pixel of a ShapesWorld picture is the background, a shape colour, or (after blur or a
 * VQGAN round trip) a mix of the two, so it lies near a segment from the background colour to
 * one palette colour. A pixel is foreground when it is at least halfway along its nearest segment:
 * that cuts a blurred edge where the original edge was, keeps the faint texture and noise out,
 * and treats yellow (light but saturated) like every other colour. Foreground pixels are grouped
 * into 8-connected components; specks are dropped. A component's colour is the palette colour
 * whose segment lies nearest its pixels overall, which is immune to the mixing at its edges; its
 * kind is the {@link ShapeMask} that best fits its soft outline ({@link KindFit}); its size comes
 * from its bounding box's extent and its position from the box's centre.
 */
final class ShapeDetector {
    private ShapeDetector() {}

    static List<Detection> detect(RgbImage image) {
        int w = image.width(), h = image.height();
        int[] bg = borderMedian(image);
        double[] alpha = new double[w * h];
        boolean[] fg = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                alpha[y * w + x] = alongNearestSegment(image, x, y, bg);
                fg[y * w + x] = alpha[y * w + x] >= 0.5;
            }
        }
        int minPixels = Math.max(3, w * h / 128);
        List<Detection> out = new ArrayList<>();
        int[] queue = new int[w * h];
        boolean[] seen = new boolean[w * h];
        for (int start = 0; start < w * h; start++) {
            if (!fg[start] || seen[start]) continue;
            int n = component(fg, seen, w, h, start, queue);
            if (n >= minPixels) out.add(classify(image, bg, alpha, Arrays.copyOf(queue, n)));
        }
        out.sort(Comparator.comparingInt(Detection::pixels).reversed());
        return out;
    }

    /** Flood-fills the 8-connected foreground component holding start into queue; returns its size. */
    private static int component(boolean[] fg, boolean[] seen, int w, int h, int start, int[] queue) {
        int head = 0, tail = 0;
        queue[tail++] = start;
        seen[start] = true;
        while (head < tail) {
            int p = queue[head++], x = p % w, y = p / w;
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    int q = ny * w + nx;
                    if (fg[q] && !seen[q]) {
                        seen[q] = true;
                        queue[tail++] = q;
                    }
                }
            }
        }
        return tail;
    }

    private static Detection classify(RgbImage image, int[] bg, double[] alpha, int[] pixels) {
        int w = image.width(), h = image.height();
        int x0 = Integer.MAX_VALUE, y0 = Integer.MAX_VALUE, x1 = -1, y1 = -1;
        for (int p : pixels) {
            int x = p % w, y = p / w;
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
            x1 = Math.max(x1, x);
            y1 = Math.max(y1, y);
        }
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;

        Colour colour = null;
        double bestColour = Double.MAX_VALUE;
        for (Colour c : Colour.values()) {
            double sum = 0;
            for (int p : pixels) sum += segmentDistance2(image, p % w, p / w, bg, c, null);
            if (sum < bestColour) {
                bestColour = sum;
                colour = c;
            }
        }

        ShapeKind kind = KindFit.fit(alpha, w, h, x0, y0, x1, y1);
        Size size = Math.max(bw, bh) > ShapeRenderer.sizeThreshold((w + h) / 2) ? Size.LARGE : Size.SMALL;
        return new Detection(kind, colour, size, nearestPosition(x0 + bw / 2.0, y0 + bh / 2.0, w, h), pixels.length);
    }

    /** The position whose anchor is nearest (cx, cy). */
    static Position nearestPosition(double cx, double cy, int w, int h) {
        Position best = null;
        double bestD = Double.MAX_VALUE;
        for (Position p : Position.values()) {
            double dx = cx - p.fx() * w, dy = cy - p.fy() * h, d = dx * dx + dy * dy;
            if (d < bestD) {
                bestD = d;
                best = p;
            }
        }
        return best;
    }

    /** How far pixel (x, y) lies along the background→colour segment nearest it, 0..1. */
    private static double alongNearestSegment(RgbImage image, int x, int y, int[] bg) {
        double bestD = Double.MAX_VALUE, alpha = 0;
        double[] a = new double[1];
        for (Colour c : Colour.values()) {
            double d = segmentDistance2(image, x, y, bg, c, a);
            if (d < bestD) {
                bestD = d;
                alpha = a[0];
            }
        }
        return alpha;
    }

    /**
     * Squared distance from pixel (x, y) to the RGB segment from bg to colour c; the position along
     * it (0 at bg, 1 at c) goes to alphaOut[0] when alphaOut is given.
     */
    private static double segmentDistance2(RgbImage image, int x, int y, int[] bg, Colour c, double[] alphaOut) {
        double pv = 0, vv = 0;
        double[] p = new double[3], v = new double[3];
        for (int ch = 0; ch < 3; ch++) {
            p[ch] = image.get(x, y, ch) - bg[ch];
            v[ch] = c.channel(ch) - bg[ch];
            pv += p[ch] * v[ch];
            vv += v[ch] * v[ch];
        }
        double alpha = vv == 0 ? 0 : Math.max(0, Math.min(1, pv / vv));
        if (alphaOut != null) alphaOut[0] = alpha;
        double d = 0;
        for (int ch = 0; ch < 3; ch++) {
            double r = p[ch] - alpha * v[ch];
            d += r * r;
        }
        return d;
    }

    /**
     * The background colour: the per-channel median of the border pixels. Shapes keep a margin
     * from the border (and cover little of it when they don't), so the median is the background
     * tone whatever the texture.
     */
    static int[] borderMedian(RgbImage image) {
        int w = image.width(), h = image.height();
        int n = w == 1 || h == 1 ? w * h : 2 * w + 2 * h - 4;
        int[][] values = new int[3][n];
        int i = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (y != 0 && y != h - 1 && x != 0 && x != w - 1) continue;
                for (int ch = 0; ch < 3; ch++) values[ch][i] = image.get(x, y, ch);
                i++;
            }
        }
        int[] out = new int[3];
        for (int ch = 0; ch < 3; ch++) {
            Arrays.sort(values[ch]);
            out[ch] = values[ch][n / 2];
        }
        return out;
    }
}
