package io.liquid4j.demo.world;

import java.util.Objects;

/** One shape of a scene: what it is, its colour, its size and where it sits. */
public record Shape(ShapeKind kind, Colour colour, Size size, Position position) {
    public Shape {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(colour, "colour");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(position, "position");
    }

    /** Whether this shape's colour×kind pair is one that training never shows. */
    public boolean heldOut() { return ShapesWorld.isHeldOut(colour, kind); }
}
