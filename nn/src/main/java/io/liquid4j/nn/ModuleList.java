package io.liquid4j.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** An indexed list of children named "0", "1", ... (PyTorch's nn.ModuleList naming). */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    public M add(M m) {
        child(Integer.toString(items.size()), m);
        items.add(m);
        return m;
    }

    public M get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    @Override public Iterator<M> iterator() { return items.iterator(); }
}
