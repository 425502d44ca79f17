package io.liquid4j.demo.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.image.RgbImage;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sampling, rendering geometry, captions and evaluation scenes of ShapesWorld. */
class ShapesWorldTest {
    private final ShapesWorld world = new ShapesWorld();

    @Test
    void sameSeedGivesSameScenesAndPictures() {
        SplittableRandom a = new SplittableRandom(42), b = new SplittableRandom(42);
        for (int i = 0; i < 50; i++) {
            Scene sa = world.sample(a, true), sb = world.sample(b, true);
            assertEquals(sa, sb);
            assertArrayEquals(world.render(sa).data(), world.render(sb).data());
            assertEquals(world.caption(sa, a), world.caption(sb, b));
        }
        assertEquals(world.evaluationScenes(3), world.evaluationScenes(3));
        assertNotEquals(world.evaluationScenes(3), world.evaluationScenes(4));
    }

    @Test
    void detailSeedChangesPixelsButNotContent() {
        Shape s = new Shape(ShapeKind.CIRCLE, Colour.RED, Size.LARGE, Position.CENTRE);
        assertFalse(java.util.Arrays.equals(world.render(Scene.of(s, false, 1)).data(), world.render(Scene.of(s, false, 2)).data()));
    }

    @Test
    void heldOutPairsNeverSampledUnlessAllowed() {
        assertEquals(4, ShapesWorld.heldOutPairs().size());
        assertTrue(ShapesWorld.isHeldOut(Colour.RED, ShapeKind.TRIANGLE));
        assertTrue(ShapesWorld.isHeldOut(Colour.GREEN, ShapeKind.CIRCLE));
        assertTrue(ShapesWorld.isHeldOut(Colour.BLUE, ShapeKind.CROSS));
        assertTrue(ShapesWorld.isHeldOut(Colour.YELLOW, ShapeKind.SQUARE));
        assertFalse(ShapesWorld.isHeldOut(Colour.RED, ShapeKind.CIRCLE));
        SplittableRandom rng = new SplittableRandom(5);
        int twoShapes = 0;
        Set<ColourKind> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            Scene s = world.sample(rng, false);
            assertFalse(s.hasHeldOut(), s::toString);
            if (s.shapes().size() == 2) twoShapes++;
            for (Shape shape : s.shapes()) seen.add(new ColourKind(shape.colour(), shape.kind()));
        }
        assertEquals(20, seen.size(), "every other pair is sampled");
        assertEquals(0.25, twoShapes / 10_000.0, 0.02);
        boolean heldOutSeen = false;
        for (int i = 0; i < 2_000 && !heldOutSeen; i++) heldOutSeen = world.sample(rng, true).hasHeldOut();
        assertTrue(heldOutSeen, "allowHeldOut samples the held-out pairs too");
    }

    @Test
    void twoShapeScenesUseOppositeHalvesInEitherOrder() {
        SplittableRandom rng = new SplittableRandom(9);
        Set<List<Position>> orders = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            Scene s = world.sample(rng, true);
            if (s.shapes().size() == 2) orders.add(List.of(s.shapes().get(0).position(), s.shapes().get(1).position()));
        }
        assertEquals(Set.of(List.of(Position.LEFT, Position.RIGHT), List.of(Position.RIGHT, Position.LEFT),
                List.of(Position.TOP, Position.BOTTOM), List.of(Position.BOTTOM, Position.TOP)), orders);
        Shape a = new Shape(ShapeKind.CIRCLE, Colour.RED, Size.SMALL, Position.LEFT);
        Shape b = new Shape(ShapeKind.SQUARE, Colour.BLUE, Size.SMALL, Position.TOP);
        assertThrows(IllegalArgumentException.class, () -> Scene.of(a, b, false, 0));
        assertThrows(IllegalArgumentException.class, () -> Scene.of(a, a, false, 0));
    }

    /** Boxes lie inside the image, have the specified extents and jitter, and two never overlap or touch. */
    @ParameterizedTest
    @ValueSource(ints = {16, 32, 64})
    void layoutKeepsShapesInsideApartAndNearTheirAnchors(int size) {
        ShapesWorld w = new ShapesWorld(size);
        SplittableRandom rng = new SplittableRandom(size);
        for (int i = 0; i < 2_000; i++) {
            Scene s = w.sample(rng, true);
            List<Placement> boxes = w.layout(s);
            for (Placement p : boxes) {
                assertTrue(p.x0() >= 0 && p.y0() >= 0 && p.x0() + p.width() <= size && p.y0() + p.height() <= size, p::toString);
                double dx = p.centreX() - p.shape().position().fx() * size, dy = p.centreY() - p.shape().position().fy() * size;
                assertTrue(Math.hypot(dx, dy) <= size / 16.0 * 2 + 1, p::toString);
                if (size == 32) {
                    // on the 4-px lattice of the VQGAN's code cells: 2 whole cells, or 3 cells less a pixel
                    assertEquals(p.shape().size() == Size.SMALL ? 8 : 11, p.width(), p::toString);
                    assertEquals(0, p.x0() % 4, p::toString);
                    assertEquals(0, p.y0() % 4, p::toString);
                }
            }
            if (boxes.size() == 2) {
                Placement a = boxes.get(0), b = boxes.get(1);
                boolean apartX = a.x0() + a.width() < b.x0() || b.x0() + b.width() < a.x0();
                boolean apartY = a.y0() + a.height() < b.y0() || b.y0() + b.height() < a.y0();
                assertTrue(apartX || apartY, () -> a + " touches " + b);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32, 64})
    void backgroundIsLightAndUnsaturatedAndShapesKeepTheirColour(int size) {
        ShapesWorld w = new ShapesWorld(size);
        SplittableRandom rng = new SplittableRandom(11);
        for (int i = 0; i < 200; i++) {
            Scene s = w.sample(rng, true);
            RgbImage img = w.render(s);
            assertEquals(size, img.width());
            assertEquals(size, img.height());
            // The corner pixel is background at every size (shapes keep off the corners).
            int r = img.get(0, 0, 0), g = img.get(0, 0, 1), b = img.get(0, 0, 2);
            assertTrue(Math.min(r, Math.min(g, b)) >= 190, s::toString);
            assertTrue(Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) <= 25, s::toString);
            for (Placement p : w.layout(s)) {
                for (int c = 0; c < 3; c++) {
                    int v = img.get(p.x0() + p.width() / 2, p.y0() + p.height() - 1, c);
                    assertTrue(Math.abs(v - p.shape().colour().channel(c)) <= 10, p::toString);
                }
            }
        }
    }

    @Test
    void captionsCoverTheSceneInSeveralPhrasings() {
        Shape red = new Shape(ShapeKind.CIRCLE, Colour.RED, Size.SMALL, Position.LEFT);
        Scene one = Scene.of(red, false, 0);
        List<String> single = world.captions(one);
        assertTrue(single.size() >= 4);
        assertEquals("a small red circle on the left", world.prompt(one));
        assertEquals(single.get(0), world.prompt(one));
        assertTrue(single.contains("there is a red circle at the left side"), single::toString);
        assertTrue(single.contains("on the left there is a small red circle"), single::toString);
        assertTrue(single.contains("the picture shows a small red circle on the left"), single::toString);
        Shape blue = new Shape(ShapeKind.SQUARE, Colour.BLUE, Size.SMALL, Position.RIGHT);
        Scene two = Scene.of(red, blue, true, 0);
        List<String> pair = world.captions(two);
        assertTrue(pair.size() >= 3);
        assertEquals("a small red circle on the left and a small blue square on the right", world.prompt(two));
        assertTrue(pair.contains("a red circle at the left side and a small blue square at the right side"), pair::toString);
        Scene orange = Scene.of(new Shape(ShapeKind.CROSS, Colour.ORANGE, Size.LARGE, Position.TOP), false, 0);
        assertTrue(world.captions(orange).contains("there is an orange cross at the top of the picture"), () -> world.captions(orange).toString());
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 500; i++) {
            Scene s = world.sample(rng, true);
            for (String c : world.captions(s)) assertTrue(c.matches("[a-z]+( [a-z]+)*"), c);
            assertTrue(world.captions(s).contains(world.caption(s, rng)));
        }
    }

    @Test
    void evaluationScenesCoverEveryPairOnceThenTwoShapeScenes() {
        List<Scene> scenes = world.evaluationScenes(7);
        assertEquals(24 + 8, scenes.size());
        Set<ColourKind> pairs = new HashSet<>();
        for (Scene s : scenes.subList(0, 24)) {
            assertEquals(1, s.shapes().size());
            pairs.add(new ColourKind(s.shapes().get(0).colour(), s.shapes().get(0).kind()));
        }
        assertEquals(24, pairs.size());
        assertTrue(pairs.containsAll(ShapesWorld.heldOutPairs()));
        EnumSet<Position> positions = EnumSet.noneOf(Position.class);
        for (Scene s : scenes.subList(24, scenes.size())) {
            assertEquals(2, s.shapes().size());
            assertFalse(s.hasHeldOut());
            positions.add(s.shapes().get(0).position());
        }
        assertEquals(EnumSet.of(Position.LEFT, Position.RIGHT, Position.TOP, Position.BOTTOM), positions);
    }

    @Test
    void rejectsTinyImages() {
        assertThrows(IllegalArgumentException.class, () -> new ShapesWorld(8));
    }
}
