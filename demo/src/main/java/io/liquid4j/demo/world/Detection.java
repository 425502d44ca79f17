package io.liquid4j.demo.world;

/**
 * One shape {@link ShapeScorer} found in a picture: what it looks like, and how many pixels it
 * covers. Position is the anchor nearest the centre of its bounding box.
 */
public record Detection(ShapeKind kind, Colour colour, Size size, Position position, int pixels) {}
