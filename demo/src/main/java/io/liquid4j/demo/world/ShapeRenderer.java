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
    /**
     * Shapes sit on a lattice of size/8 px (4 px at 32, the demo VQGAN's code cell): a small shape
     * fills 2 cells (8 px at 32), a large one 3 cells less a pixel (11 px). On the lattice every
     * shape of one kind and size is cut into the same cell patterns wherever it sits, so a
     * 4×-downsampling VQGAN gives it the same few codes each time; off the lattice the 16 sub-cell
     * offsets would multiply the patterns a small model must learn. Small shapes take their whole
     * cells because at 7 px a circle and a cross (arms a third of the side, with the side's parity:
     * 3 px) differ in 4 pixels of 49, and the VQGAN's round trips and the models built on them
     * could not tell the two apart; at 8 px (2-px arms) they differ in 24 of 64. Positions keep
     * two shapes of a scene apart whatever their size (see range()).
     */
    private static final int SMALL_CELLS = 2, LARGE_CELLS = 3;
    /** The fewest pixels across a small shape can have and still show its kind (at 16 px the lattice gives fewer). */
    private static final int MIN_SMALL = 5;
    /** Jitter of a shape colour, per channel, either way. */
    private static final int COLOUR_JITTER = 4;
    /** Background grey levels (before the cream tint) and the texture's swing either way. */
    private static final int[] TONES = {218, 230, 242};
    private static final int TEXTURE_AMPLITUDE = 5;

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
        int jitter = Math.max(1, size / 16);
        int dx = random.nextInt(-jitter, jitter + 1), dy = random.nextInt(-jitter, jitter + 1);
        int r = jitterChannel(s.colour().channel(0), random), g = jitterChannel(s.colour().channel(1), random),
                b = jitterChannel(s.colour().channel(2), random);
        int[] xr = range(s.position() == Position.LEFT, s.position() == Position.RIGHT);
        int[] yr = range(s.position() == Position.TOP, s.position() == Position.BOTTOM);
        int extent = Math.min(extent(s.size(), size), Math.min(xr[1] - xr[0], yr[1] - yr[0]));
        int x0 = onLattice((int) Math.round(size * s.position().fx() + dx - extent / 2.0), extent, xr);
        int y0 = onLattice((int) Math.round(size * s.position().fy() + dy - extent / 2.0), extent, yr);
        return new Placement(s, x0, y0, extent, extent, r, g, b);
    }

    /** Lattice cell side in pixels. */
    private int cell() { return cell(size); }

    private static int cell(int imageSize) { return Math.max(1, imageSize / 8); }

    /** Box side of a shape of this size in an image of imageSize px: 2 whole cells (small) or 3 cells less one pixel (large), at least 5 or 7. */
    static int extent(Size s, int imageSize) {
        int cell = cell(imageSize);
        return s == Size.SMALL ? Math.max(MIN_SMALL, SMALL_CELLS * cell) : Math.max(MIN_SMALL + 2, LARGE_CELLS * cell - 1);
    }

    /** The box side halfway between a small and a large shape: what the scorer calls large above. */
    static double sizeThreshold(int imageSize) {
        return (extent(Size.SMALL, imageSize) + extent(Size.LARGE, imageSize)) / 2.0;
    }

    /**
     * The lattice point nearest x0 that keeps [x0, x0 + extent) inside range; x0 clamped into it
     * where none does. Of two equally near points the one nearer the range's middle wins: a jittered
     * centre shape of an even side (a small one) is otherwise pushed a whole cell off-centre, as near
     * a side's anchor as the centre's.
     */
    private int onLattice(int x0, int extent, int[] range) {
        int cell = cell(), lo = range[0], hi = range[1] - extent;
        double middle = (lo + hi) / 2.0;
        int best = -1;
        for (int c = Math.ceilDiv(lo, cell) * cell; c <= hi; c += cell) {
            int d = Math.abs(c - x0), bestD = Math.abs(best - x0);
            if (best < 0 || d < bestD || d == bestD && Math.abs(c - middle) < Math.abs(best - middle)) best = c;
        }
        return best >= 0 ? best : clamp(x0, lo, hi);
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
     * A light, nearly grey background: one of three tones, half the time tinted cream. The texture
     * (horizontal, vertical or diagonal stripes, or checks, of period cell/2 or cell) moves all
     * three channels together by 5 levels, so the background stays unsaturated and far from every
     * shape colour. The periods divide the lattice cell, so a texture repeats cell by cell: like the
     * shapes, the background cuts into a few cell patterns, and a VQGAN spends its codes and an LM its
     * attention on the shapes rather than on the background's phase. (Per-pixel noise and freely
     * chosen tones, which the first demo runs had, gave about 1.3 nats per image code of background
     * the model had to learn before the shapes; BENCHMARKS.md.)
     */
    private byte[] background(SplittableRandom random, boolean textured) {
        int tone = TONES[random.nextInt(TONES.length)];
        boolean cream = random.nextBoolean();
        int[] base = {tone + (cream ? 3 : 0), tone, tone - (cream ? 10 : 0)};
        int style = random.nextInt(4), period = Math.max(1, cell() / 2 * random.nextInt(1, 3));
        byte[] px = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int delta = textured ? texture(style, period, x, y) : 0;
                int o = (y * size + x) * 3;
                for (int c = 0; c < 3; c++) px[o + c] = (byte) clamp(base[c] + delta, 0, 255);
            }
        }
        return px;
    }

    private static int texture(int style, int period, int x, int y) {
        boolean on = switch (style) {
            case 0 -> (y / period) % 2 == 0; // horizontal stripes
            case 1 -> (x / period) % 2 == 0; // vertical stripes
            case 2 -> ((x + y) / period) % 2 == 0; // diagonal stripes
            default -> (x / period + y / period) % 2 == 0; // checks
        };
        return on ? TEXTURE_AMPLITUDE : -TEXTURE_AMPLITUDE;
    }
}
