package io.liquid4j.demo.world;

import io.liquid4j.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws a {@link Scene} at a given image size. All randomness comes from the scene's detailSeed,
 * split into one stream for the background and one for the shapes, so a textured and a plain
 * version of the same seed place their shapes identically.
 */
final class ShapeRenderer {
    /** Shape width as a fraction of the image: SMALL 8–9 px and LARGE 13–14 px at 32 px. */
    private static final double SMALL_MIN = 0.25, SMALL_MAX = 0.28, LARGE_MIN = 0.40, LARGE_MAX = 0.44;
    /** The fewest pixels across a small shape can have and still show its kind. */
    private static final int MIN_SMALL = 5;
    /** Jitter of a shape colour, per channel, either way. */
    private static final int COLOUR_JITTER = 10;

    private final int size;

    ShapeRenderer(int size) { this.size = size; }

    RgbImage render(Scene scene) {
        SplittableRandom root = new SplittableRandom(scene.detailSeed());
        SplittableRandom bgRandom = root.split(), shapeRandom = root.split();
        byte[] px = background(bgRandom, scene.textured());
        for (Placement p : layout(scene, shapeRandom)) {
            for (int j = 0; j < p.height(); j++) {
                for (int i = 0; i < p.width(); i++) {
                    if (!ShapeMask.covers(p.shape().kind(), p.width(), p.height(), i, j)) continue;
                    int o = ((p.y0() + j) * size + p.x0() + i) * 3;
                    px[o] = (byte) p.r();
                    px[o + 1] = (byte) p.g();
                    px[o + 2] = (byte) p.b();
                }
            }
        }
        return new RgbImage(size, size, px);
    }

    /** The boxes and colours render() draws, in scene order. */
    List<Placement> layout(Scene scene) {
        SplittableRandom root = new SplittableRandom(scene.detailSeed());
        root.split(); // the background's stream, drawn first in render()
        return layout(scene, root.split());
    }

    private List<Placement> layout(Scene scene, SplittableRandom random) {
        List<Placement> out = new ArrayList<>(scene.shapes().size());
        for (Shape s : scene.shapes()) out.add(place(s, random));
        return out;
    }

    /**
     * A margin of size/32 keeps shapes off the image border, and each half-image position keeps a
     * gap of at least 2·size/32 (2 px at 32) from the centre line, so LEFT+RIGHT and TOP+BOTTOM
     * shapes never touch however they are jittered.
     */
    private Placement place(Shape s, SplittableRandom random) {
        double frac = s.size() == Size.SMALL ? SMALL_MIN + (SMALL_MAX - SMALL_MIN) * random.nextDouble()
                : LARGE_MIN + (LARGE_MAX - LARGE_MIN) * random.nextDouble();
        int jitter = Math.max(1, size / 16);
        int dx = random.nextInt(-jitter, jitter + 1), dy = random.nextInt(-jitter, jitter + 1);
        int r = jitterChannel(s.colour().channel(0), random), g = jitterChannel(s.colour().channel(1), random),
                b = jitterChannel(s.colour().channel(2), random);
        int[] xr = range(s.position() == Position.LEFT, s.position() == Position.RIGHT);
        int[] yr = range(s.position() == Position.TOP, s.position() == Position.BOTTOM);
        // Below 5 px a circle, a cross and a cut-corner square are the same few pixels, so small
        // shapes keep 5 px at tiny image sizes, and large ones stay 2 px bigger than that.
        int extent = Math.max(s.size() == Size.SMALL ? MIN_SMALL : MIN_SMALL + 2, (int) Math.round(size * frac));
        extent = Math.min(extent, Math.min(xr[1] - xr[0], yr[1] - yr[0]));
        int x0 = clamp((int) Math.round(size * s.position().fx() + dx - extent / 2.0), xr[0], xr[1] - extent);
        int y0 = clamp((int) Math.round(size * s.position().fy() + dy - extent / 2.0), yr[0], yr[1] - extent);
        return new Placement(s, x0, y0, extent, extent, r, g, b);
    }

    /** The pixel range [lo, hi) a shape may occupy along one axis: the low half, the high half, or all. */
    private int[] range(boolean lowHalf, boolean highHalf) {
        int margin = size / 32, halfGap = Math.max(1, size / 32);
        if (lowHalf) return new int[] {margin, size / 2 - halfGap};
        if (highHalf) return new int[] {size / 2 + halfGap, size - margin};
        return new int[] {margin, size - margin};
    }

    private static int clamp(int v, int lo, int hi) { return Math.max(lo, Math.min(hi, v)); }

    private static int jitterChannel(int v, SplittableRandom random) {
        return clamp(v + random.nextInt(-COLOUR_JITTER, COLOUR_JITTER + 1), 0, 255);
    }

    /**
     * A light, nearly grey background: white to light grey, half the time tinted cream. The
     * texture (stripes, checks or noise) moves all three channels together by a few levels, so the
     * background stays unsaturated and far from every shape colour.
     */
    private byte[] background(SplittableRandom random, boolean textured) {
        int tone = random.nextInt(214, 247);
        boolean cream = random.nextBoolean();
        int tr = cream ? random.nextInt(0, 5) : random.nextInt(-2, 3);
        int tb = cream ? -random.nextInt(6, 15) : random.nextInt(-2, 3);
        int[] base = {tone + tr, tone, tone + tb};
        int style = random.nextInt(5), amplitude = random.nextInt(3, 7), period = Math.max(2, size / 32 * random.nextInt(2, 5));
        byte[] px = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int delta = textured ? texture(style, amplitude, period, x, y, random) : 0;
                int o = (y * size + x) * 3;
                for (int c = 0; c < 3; c++) px[o + c] = (byte) clamp(base[c] + delta, 0, 255);
            }
        }
        return px;
    }

    private static int texture(int style, int amplitude, int period, int x, int y, SplittableRandom random) {
        return switch (style) {
            case 0 -> (y / period) % 2 == 0 ? amplitude : -amplitude; // horizontal stripes
            case 1 -> (x / period) % 2 == 0 ? amplitude : -amplitude; // vertical stripes
            case 2 -> ((x + y) / period) % 2 == 0 ? amplitude : -amplitude; // diagonal stripes
            case 3 -> (x / period + y / period) % 2 == 0 ? amplitude : -amplitude; // checks
            default -> random.nextInt(-amplitude, amplitude + 1); // noise
        };
    }
}
