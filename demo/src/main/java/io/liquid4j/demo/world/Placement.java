package io.liquid4j.demo.world;

/** Where the renderer drew one shape: its bounding box in pixels and its jittered colour. */
record Placement(Shape shape, int x0, int y0, int width, int height, int r, int g, int b) {
    /** Centre of the box in pixel coordinates (pixel i spans [i, i+1)). */
    double centreX() { return x0 + width / 2.0; }

    double centreY() { return y0 + height / 2.0; }
}
