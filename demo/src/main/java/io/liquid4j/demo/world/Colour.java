package io.liquid4j.demo.world;

/**
 * The six shape colours, each with a canonical saturated RGB. The values are far apart (the
 * closest pair, yellow and orange, differ by 80 in green) so a colour survives the ±4 jitter of
 * rendering and the blur of a VQGAN round trip, and every one has a channel far below the light
 * background, which is how {@link ShapeScorer} tells shape from background.
 */
public enum Colour {
    RED(220, 30, 30), GREEN(30, 160, 50), BLUE(30, 60, 220), YELLOW(240, 210, 20), PURPLE(150, 40, 190), ORANGE(245, 130, 20);

    private final int r, g, b;

    Colour(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The word captions use, e.g. "red". */
    public String word() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** The canonical colour as 0xRRGGBB. */
    public int rgb() { return r << 16 | g << 8 | b; }

    /** Channel c (0 red, 1 green, 2 blue) of the canonical colour, 0..255. */
    public int channel(int c) {
        return switch (c) {
            case 0 -> r;
            case 1 -> g;
            case 2 -> b;
            default -> throw new IllegalArgumentException("channel must be 0, 1 or 2, got " + c);
        };
    }

    /** The palette colour nearest (squared RGB distance) to (red, green, blue). */
    public static Colour nearest(int red, int green, int blue) {
        Colour best = null;
        long bestD = Long.MAX_VALUE;
        for (Colour c : values()) {
            long dr = red - c.r, dg = green - c.g, db = blue - c.b;
            long d = dr * dr + dg * dg + db * db;
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }
}
