package io.liquid4j.tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference-counted block of memory on one device. Tensors (and their views) each hold one
 * reference; the block is freed when the last one is released. Backends subclass this to hold a
 * host MemorySegment or a device pointer — nothing above tensor/ ever sees the memory itself.
 *
 * <p>Not API: public only for the backend packages ({@code tensor.cpu}, {@code tensor.cuda});
 * applications use {@link Tensor} and {@link F}, and this may change in any version.
 */
public abstract class Storage {
    private final AtomicInteger refs = new AtomicInteger(1);
    private final long byteSize;

    protected Storage(long byteSize) { this.byteSize = byteSize; }

    public final long byteSize() { return byteSize; }

    public abstract Device device();

    /** Adds a reference (a new view). Fails if the storage was already freed. */
    final void retain() {
        int r;
        do {
            r = refs.get();
            if (r <= 0) throw new IllegalStateException("tensor storage was already freed (used after close)");
        } while (!refs.compareAndSet(r, r + 1));
    }

    /** Drops a reference; frees the memory when it was the last. */
    final void release() {
        int r = refs.decrementAndGet();
        if (r == 0) free();
        else if (r < 0) throw new IllegalStateException("tensor storage released twice");
    }

    /** Tensors (views included) holding this storage now. */
    final int references() { return refs.get(); }

    /** True while some tensor still holds this storage. */
    public final boolean isLive() { return refs.get() > 0; }

    /** Returns the memory to its allocator (or unmaps / drops the owner of a borrowed segment). */
    protected abstract void free();
}
