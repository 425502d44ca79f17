package io.liquid4j.convert.torch;

import java.util.List;

/** A Python tuple (kept apart from lists so callers can tell `(a, b)` from `[a, b]`). */
public record PickleTuple(List<Object> items) {
    public PickleTuple {
        items = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items));
    }

    public int size() { return items.size(); }

    public Object get(int i) { return items.get(i); }
}
