package io.liquid4j.demo.world;

import java.util.Objects;

/** A colour×kind pair, e.g. (RED, TRIANGLE); the held-out pairs are listed by {@link ShapesWorld#heldOutPairs()}. */
public record ColourKind(Colour colour, ShapeKind kind) {
    public ColourKind {
        Objects.requireNonNull(colour, "colour");
        Objects.requireNonNull(kind, "kind");
    }

    /** "red triangle". */
    public String words() { return colour.word() + " " + kind.word(); }
}
