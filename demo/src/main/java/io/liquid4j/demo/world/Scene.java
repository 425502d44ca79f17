package io.liquid4j.demo.world;

import java.util.List;
import java.util.Set;

/**
 * A picture's content: one shape, or two at opposite positions (LEFT and RIGHT, or TOP and BOTTOM,
 * in either order), on a plain or faintly textured background. detailSeed drives everything the
 * content leaves open (the exact lattice cell of each shape, background tone and texture, colour jitter),
 * so the same Scene always renders to the same pixels.
 */
public record Scene(List<Shape> shapes, boolean textured, long detailSeed) {
    public Scene {
        shapes = List.copyOf(shapes);
        if (shapes.isEmpty() || shapes.size() > 2) throw new IllegalArgumentException("a scene has 1 or 2 shapes, got " + shapes.size());
        if (shapes.size() == 2) {
            // Only opposite half-image positions are guaranteed not to overlap when rendered.
            Position a = shapes.get(0).position(), b = shapes.get(1).position();
            if (a == b || !Set.of(Set.of(Position.LEFT, Position.RIGHT), Set.of(Position.TOP, Position.BOTTOM)).contains(Set.of(a, b))) {
                throw new IllegalArgumentException("two shapes must sit LEFT and RIGHT or TOP and BOTTOM, got " + a + " and " + b);
            }
        }
    }

    /** A one-shape scene. */
    public static Scene of(Shape shape, boolean textured, long detailSeed) { return new Scene(List.of(shape), textured, detailSeed); }

    /** A two-shape scene; the shapes must sit LEFT and RIGHT or TOP and BOTTOM. */
    public static Scene of(Shape first, Shape second, boolean textured, long detailSeed) {
        return new Scene(List.of(first, second), textured, detailSeed);
    }

    /** Whether any shape has a held-out colour×kind pair. */
    public boolean hasHeldOut() { return shapes.stream().anyMatch(Shape::heldOut); }
}
