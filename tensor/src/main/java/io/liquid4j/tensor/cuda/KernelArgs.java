package io.liquid4j.tensor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Builds the void** kernelParams array of cuLaunchKernel: each argument is written into its own
 * 8-byte-aligned slot of a native buffer and the array points at the slots. Used for one launch
 * (the driver copies the values at launch time), inside the caller's confined arena.
 */
public final class KernelArgs {
    private static final int MAX = 24;
    private final MemorySegment slots, ptrs;
    private long used;
    private int count;

    public KernelArgs(Arena arena) {
        slots = arena.allocate(4096, 16);
        ptrs = arena.allocate(8L * MAX, 8);
    }

    private MemorySegment slot(long bytes) {
        if (count == MAX || used + bytes > slots.byteSize()) throw new IllegalStateException("too many kernel arguments");
        MemorySegment s = slots.asSlice(used, bytes);
        ptrs.setAtIndex(ValueLayout.ADDRESS, count++, s);
        used += (bytes + 15) & ~15L;
        return s;
    }

    public KernelArgs ptr(long p) { slot(8).set(ValueLayout.JAVA_LONG, 0, p); return this; }

    public KernelArgs i32(int v) { slot(4).set(ValueLayout.JAVA_INT, 0, v); return this; }

    public KernelArgs i64(long v) { slot(8).set(ValueLayout.JAVA_LONG, 0, v); return this; }

    public KernelArgs f32(float v) { slot(4).set(ValueLayout.JAVA_FLOAT, 0, v); return this; }

    public KernelArgs f64(double v) { slot(8).set(ValueLayout.JAVA_DOUBLE, 0, v); return this; }

    /** A by-value struct made of 64-bit fields (see Dims). */
    public KernelArgs struct(long[] fields) {
        MemorySegment s = slot(8L * fields.length);
        MemorySegment.copy(fields, 0, s, ValueLayout.JAVA_LONG, 0, fields.length);
        return this;
    }

    MemorySegment pointers() { return ptrs; }
}
