package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Storage;
import java.lang.foreign.MemorySegment;

/** Host storage: a native MemorySegment, either owned (freed with the last view) or borrowed (e.g. a file mapping). */
public final class CpuStorage extends Storage {
    private final MemorySegment segment;
    private final Runnable onFree;

    private CpuStorage(MemorySegment segment, Runnable onFree) {
        super(segment.byteSize());
        this.segment = segment;
        this.onFree = onFree;
    }

    /** Fresh native memory, returned to the allocator when the last tensor releases it. */
    public static CpuStorage allocate(long bytes) {
        MemorySegment s = NativeMemory.allocate(bytes);
        return new CpuStorage(s, () -> NativeMemory.free(s));
    }

    /**
     * Borrows a segment (zero-copy, e.g. a safetensors mapping). onRelease runs when the last
     * tensor lets go (may be null); the segment's own scope must outlive the tensors.
     */
    public static CpuStorage borrow(MemorySegment segment, Runnable onRelease) {
        return new CpuStorage(segment, onRelease == null ? () -> { } : onRelease);
    }

    public MemorySegment segment() { return segment; }

    @Override public Device device() { return Device.CPU; }

    @Override protected void free() { onFree.run(); }
}
