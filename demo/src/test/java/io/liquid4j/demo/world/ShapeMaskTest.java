package io.liquid4j.demo.world;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kinds' masks at the box sides the world renders. */
class ShapeMaskTest {

    /**
     * Two kinds that differ in a few pixels of their box cannot be told apart once a VQGAN has
     * softened them (at 7 px a circle and a cross differed in 4 of 49, and the demo's captions
     * confused them): every two kinds differ in at least 15% of the box, about what a circle and
     * a square always differ in. Not at 16 px, which no demo renders: there a half-image position
     * leaves 7 px across, so a large shape on a side is 7 px whatever its extent.
     */
    @ParameterizedTest
    @ValueSource(ints = {32, 64})
    void everyTwoKindsDifferInManyPixelsOfTheirBox(int imageSize) {
        for (Size size : Size.values()) {
            int n = ShapeRenderer.extent(size, imageSize);
            for (ShapeKind a : ShapeKind.values()) {
                for (ShapeKind b : ShapeKind.values()) {
                    if (a.ordinal() >= b.ordinal()) continue;
                    int differ = 0;
                    for (int j = 0; j < n; j++) for (int i = 0; i < n; i++) if (ShapeMask.covers(a, n, n, i, j) != ShapeMask.covers(b, n, n, i, j)) differ++;
                    double share = (double) differ / (n * n);
                    assertTrue(share >= 0.15, a + " and " + b + " at " + n + " px differ in " + differ + " pixels of " + n * n);
                }
            }
        }
    }
}
