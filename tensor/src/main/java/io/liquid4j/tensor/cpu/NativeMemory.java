package io.liquid4j.tensor.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory for tensors straight from the C allocator (aligned_alloc/free through FFM).
 * Freed deterministically when the last tensor view lets go, unlike Arena.ofAuto; cheaper to
 * free than a shared Arena (no thread handshake); and a global-scope segment carries no
 * liveness check on every access in the hot loops.
 */
public final class NativeMemory {
    private static final long ALIGN = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private NativeMemory() {}

    /** Allocates at least bytes (64-byte aligned, uninitialised). */
    public static MemorySegment allocate(long bytes) {
        long size = Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, size);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of host memory for a tensor ("
                    + LIVE_BYTES.get() + " bytes already held by tensors)");
        }
        long live = LIVE_BYTES.addAndGet(size);
        PEAK_BYTES.accumulateAndGet(live, Math::max);
        return p.reinterpret(size);
    }

    public static void free(MemorySegment segment) {
        LIVE_BYTES.addAndGet(-segment.byteSize());
        try {
            FREE.invokeExact(segment);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    /** Bytes currently held by live CPU tensors. */
    public static long liveBytes() { return LIVE_BYTES.get(); }

    /** Highest liveBytes() seen since start or the last resetPeak(). */
    public static long peakBytes() { return PEAK_BYTES.get(); }

    public static void resetPeak() { PEAK_BYTES.set(LIVE_BYTES.get()); }
}
