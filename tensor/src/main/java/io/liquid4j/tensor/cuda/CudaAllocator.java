package io.liquid4j.tensor.cuda;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Caching, stream-ordered device allocator. Blocks come from cuMemAllocAsync on the backend's
 * single stream (cuMemAlloc where unsupported) in {@link SizeClasses} sizes; a freed block goes
 * to its class's free list and is handed out again without a driver call. All kernels run on
 * that one stream, so a block reused by a later launch is ordered after every earlier use — no
 * events needed. On out-of-memory the cache is emptied and the allocation retried once; then
 * the error says how many bytes were asked and how many are free.
 */
public final class CudaAllocator {
    private final CudaDriver drv;
    private final long stream;
    private final boolean async;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long allocated, reserved, peak, cached;

    public CudaAllocator(CudaDriver drv, long stream) {
        this.drv = drv;
        this.stream = stream;
        this.async = !Boolean.getBoolean("liquid4j.cuda.syncAlloc") && probeAsync(drv, stream);
    }

    private static boolean probeAsync(CudaDriver drv, long stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            if (drv.memAllocAsyncRaw(p, 512, stream) != 0) return false;
            drv.memFreeAsync(p.get(JAVA_LONG, 0), stream);
            return true;
        }
    }

    /** A block of at least `bytes` bytes; returns the device pointer. Size class = SizeClasses.roundUp(bytes). */
    public synchronized long allocate(long bytes) {
        long size = SizeClasses.roundUp(bytes);
        ArrayDeque<Long> q = free.get(size);
        long ptr;
        if (q != null && !q.isEmpty()) {
            ptr = q.pop();
            cached -= size;
        } else {
            ptr = fresh(size, bytes);
            reserved += size;
        }
        allocated += size;
        peak = Math.max(peak, allocated);
        return ptr;
    }

    /** Returns a block (of the size it was allocated with) to its free list. */
    public synchronized void free(long ptr, long bytes) {
        long size = SizeClasses.roundUp(bytes);
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(ptr);
        allocated -= size;
        cached += size;
    }

    private long fresh(long size, long requested) {
        int rc = tryAlloc(size);
        if (rc == 2) {  // CUDA_ERROR_OUT_OF_MEMORY: give the cache back and retry once
            emptyCache();
            drv.streamSynchronize(stream);
            rc = tryAlloc(size);
        }
        if (rc != 0) {
            long[] info = drv.memInfo();
            throw new CudaException("CUDA out of memory: tried to allocate " + fmt(requested) + " (size class " + fmt(size)
                    + "); " + fmt(info[0]) + " free of " + fmt(info[1]) + "; this allocator holds " + fmt(allocated)
                    + " in use and " + fmt(cached) + " cached (" + drv.errorName(rc) + ")");
        }
        return lastPtr;
    }

    private long lastPtr;

    private int tryAlloc(long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            int rc = async ? drv.memAllocAsyncRaw(p, size, stream) : drv.memAllocRaw(p, size);
            lastPtr = p.get(JAVA_LONG, 0);
            return rc;
        }
    }

    /** Releases every cached (free) block to the driver. Blocks in use are unaffected. */
    public synchronized void emptyCache() {
        for (var e : free.entrySet()) {
            for (long p : e.getValue()) {
                if (async) drv.memFreeAsync(p, stream);
                else drv.memFree(p);
                reserved -= e.getKey();
            }
        }
        free.clear();
        cached = 0;
    }

    /** Bytes in blocks handed out (by size class). */
    public synchronized long allocatedBytes() { return allocated; }

    /** Bytes held from the driver: in use + cached. */
    public synchronized long reservedBytes() { return reserved; }

    /** The highest allocatedBytes seen (or since the last reset). */
    public synchronized long peakBytes() { return peak; }

    public synchronized void resetPeak() { peak = allocated; }

    public boolean streamOrdered() { return async; }

    static String fmt(long b) {
        if (b >= 1L << 30) return String.format("%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format("%.1f MiB", b / (double) (1L << 20));
        return b + " bytes";
    }
}
