package io.liquid4j.convert.torch;

/**
 * Stand-in for an object of a class outside the allow-list when the reader runs in lenient mode:
 * the class is named but never imported or run, and its arguments and state are dropped.
 */
public record OpaqueObject(String className) {
    @Override public String toString() { return "<" + className + " (skipped)>"; }
}
