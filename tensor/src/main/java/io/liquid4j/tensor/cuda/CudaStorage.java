package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Storage;

/** A block of device memory from the caching allocator; returned to its free list with the last view. */
public final class CudaStorage extends Storage {
    private final Device device;
    private final CudaAllocator allocator;
    private final long ptr;

    CudaStorage(Device device, CudaAllocator allocator, long bytes) {
        super(bytes);
        this.device = device;
        this.allocator = allocator;
        this.ptr = allocator.allocate(Math.max(1, bytes));
    }

    /** The device pointer of byte 0. */
    public long ptr() { return ptr; }

    @Override public Device device() { return device; }

    @Override protected void free() { allocator.free(ptr, Math.max(1, byteSize())); }
}
