package io.liquid4j.demo.world;

/**
 * Which pixels of a w×h box a shape of each kind covers. The renderer draws with it and the scorer
 * compares what it sees against it, so a clean render matches its own kind's mask exactly. Every
 * kind touches all four sides of its box, so the box is the shape's bounding box.
 */
final class ShapeMask {
    private ShapeMask() {}

    /** Whether pixel (i, j) of a w×h box (0 ≤ i < w, 0 ≤ j < h) belongs to the shape. */
    static boolean covers(ShapeKind kind, int w, int h, int i, int j) {
        return switch (kind) {
            case SQUARE -> true;
            case CIRCLE -> {
                // Ellipse through the box, sampled at pixel centres.
                double u = (i + 0.5) / w - 0.5, v = (j + 0.5) / h - 0.5;
                yield u * u + v * v <= 0.25;
            }
            case TRIANGLE -> {
                // Apex up, base along the bottom row. Testing the half-width at the pixel row's lower
                // edge (j + 1) keeps one or two pixels in the top row, so the apex is not lost.
                double halfWidth = 0.5 * w * (j + 1) / h;
                yield Math.abs(i + 0.5 - 0.5 * w) <= halfWidth;
            }
            case CROSS -> {
                int tw = armThickness(w), th = armThickness(h);
                yield (i >= (w - tw) / 2 && i < (w + tw) / 2) || (j >= (h - th) / 2 && j < (h + th) / 2);
            }
        };
    }

    /**
     * Thickness of a cross arm across a box side of n pixels: about a third of it, with the parity of
     * n so the arm sits exactly in the middle. Ties go to the thinner arm, which keeps the cross
     * clearly hollower than a circle.
     */
    static int armThickness(int n) {
        double ideal = n / 3.0;
        int best = -1;
        for (int t = 1; t <= n; t++) {
            if ((n - t) % 2 != 0) continue;
            if (best < 0 || Math.abs(t - ideal) < Math.abs(best - ideal) - 1e-9) best = t;
        }
        return best;
    }
}
