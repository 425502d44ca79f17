package io.liquid4j.demo.world;

/** Shape size: SMALL is about a quarter of the image across, LARGE a bit under half. */
public enum Size {
    SMALL, LARGE;

    /** The word captions use: "small" or "large". */
    public String word() { return name().toLowerCase(java.util.Locale.ROOT); }
}
