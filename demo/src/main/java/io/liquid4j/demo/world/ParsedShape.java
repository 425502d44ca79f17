package io.liquid4j.demo.world;

/** One shape as a caption describes it; an attribute the text does not state is null. */
public record ParsedShape(ShapeKind kind, Colour colour, Size size, Position position) {
    /** Whether the text stated nothing about this shape. */
    public boolean isEmpty() { return kind == null && colour == null && size == null && position == null; }
}
