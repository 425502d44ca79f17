package io.liquid4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic lifetime for native memory: every tensor created while a scope is open on this
 * thread belongs to the innermost scope, and closing the scope frees all of them except those
 * passed to {@link #keep}, which move to the enclosing scope (or become unscoped, managed by their
 * owner or by the GC safety net). Typical training step:
 *
 * <pre>{@code
 * for (int step = 0; step < steps; step++) {
 *     try (var s = TensorScope.open()) {
 *         Tensor loss = model.loss(batch);
 *         loss.backward();          // parameter .grad tensors are unscoped: they survive
 *         optimizer.step();         // in-place updates
 *         lossValue = loss.item();
 *     }                             // activations, graph and temporaries are freed here
 * }
 * }</pre>
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final TensorScope parent;
    private final Thread owner = Thread.currentThread();
    private List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent) { this.parent = parent; }

    /** Opens a scope nested in the current one (if any). */
    public static TensorScope open() {
        var stack = STACK.get();
        var s = new TensorScope(stack.peek());
        stack.push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    static TensorScope current() {
        return STACK.get().peek();
    }

    void add(Tensor t) {
        tensors.add(t);
    }

    /**
     * Keeps t (which must belong to this scope) alive past close: it moves to the parent scope,
     * or becomes unscoped when there is none. Returns t for chaining.
     */
    public Tensor keep(Tensor t) {
        if (t.scope() != this) {
            throw new IllegalArgumentException("tensor does not belong to this scope");
        }
        t.moveToScope(parent);
        return t;
    }

    /** Number of tensors this scope still owns (for tests and diagnostics). */
    public int size() {
        int n = 0;
        for (Tensor t : tensors) if (t.scope() == this) n++;
        return n;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) throw new IllegalStateException("TensorScope closed by another thread");
        var stack = STACK.get();
        if (stack.peek() != this) throw new IllegalStateException("TensorScope closed out of order (an inner scope is still open)");
        stack.pop();
        closed = true;
        List<Tensor> list = tensors;
        tensors = null;
        for (Tensor t : list) {
            if (t.scope() == this) t.close();
        }
    }
}
