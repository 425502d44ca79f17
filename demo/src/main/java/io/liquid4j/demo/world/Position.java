package io.liquid4j.demo.world;

/**
 * Where a shape sits: centred at a quarter of the width (LEFT), three quarters (RIGHT), a quarter
 * or three quarters of the height (TOP, BOTTOM), or in the middle (CENTRE).
 */
public enum Position {
    LEFT(0.25, 0.5), RIGHT(0.75, 0.5), TOP(0.5, 0.25), BOTTOM(0.5, 0.75), CENTRE(0.5, 0.5);

    private final double fx, fy;

    Position(double fx, double fy) {
        this.fx = fx;
        this.fy = fy;
    }

    /** The word captions use: "left", "right", "top", "bottom" or "centre". */
    public String word() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** The anchor's x as a fraction of the image width. */
    public double fx() { return fx; }

    /** The anchor's y as a fraction of the image height. */
    public double fy() { return fy; }

    /** The position across the image from this one (LEFT↔RIGHT, TOP↔BOTTOM); CENTRE has none. */
    public Position opposite() {
        return switch (this) {
            case LEFT -> RIGHT;
            case RIGHT -> LEFT;
            case TOP -> BOTTOM;
            case BOTTOM -> TOP;
            case CENTRE -> throw new IllegalStateException("the centre has no opposite position");
        };
    }
}
