package io.liquid4j.demo.world;

/** The kinds of shape ShapesWorld draws; the triangle points up and the cross is a plus sign. */
public enum ShapeKind {
    CIRCLE, SQUARE, TRIANGLE, CROSS;

    /** The word captions use, e.g. "circle". */
    public String word() { return name().toLowerCase(java.util.Locale.ROOT); }
}
