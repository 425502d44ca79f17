package io.liquid4j.tensor.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory for tensors straight from the C allocator (aligned_alloc/free through FFM).
 * Freed deterministically when the last tensor view lets go, unlike Arena.ofAuto; cheaper to
 * free than a shared Arena (no thread handshake); and a global-scope segment carries no
 * liveness check on every access in the hot loops.
 *
 * <p>Blocks of at least {@link #CACHE_MIN_BYTES} are not handed back to the C allocator but kept
 * for the next allocation of their size class (up to {@code liquid4j.memory.cacheMiB} MiB, default
 * 1024; 0 turns the cache off). A training step frees and allocates the same
 * shapes every step, and glibc returned those blocks to the kernel (trimming a thread's arena,
 * unmapping large chunks) only to fault them in again: a VQGAN step of the demo took ~75 000
 * page faults and 40% of its time in the kernel (BENCHMARKS.md "Page faults"). An allocation
 * that fails empties the cache and tries once more.
 *
 * <p>Cached blocks come in size classes ({@link #blockSize}: eight per power of two, at most 12.5%
 * more than asked for), not exact sizes: a training loss over the counted rows only
 * ({@code CausalLM.countedLoss}) has tensors of [M, ·] with M different in every step, and with
 * exact sizes none of their blocks was ever reused. 100 of the demo's multimodal steps took 2.8
 * million page faults and 10 s in the kernel that way, against 0.18 million and 2.8 s with the
 * full-row loss. A request whose class has no free block takes one of the next class up, so that
 * sizes straddling a class boundary do not keep two sets of blocks. A full cache makes room by
 * evicting the blocks it cached longest ago.
 */
@SuppressWarnings("restricted")   // binding native code through FFM is this class's job (--enable-native-access)
public final class NativeMemory {
    private static final long ALIGN = 64;
    /** Smaller blocks go straight back to malloc, which keeps them in its own bins. */
    static final long CACHE_MIN_BYTES = 256 << 10;
    private static final long CACHE_MAX_BYTES = Math.max(0, Long.getLong("liquid4j.memory.cacheMiB", 1024)) << 20;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();
    /** Freed blocks by size; guarded by itself. */
    private static final Map<Long, ArrayDeque<MemorySegment>> CACHE = new HashMap<>();
    /** Every cached block by address, cached longest ago first: what makes room when the cache is full; guarded by CACHE. */
    private static final LinkedHashMap<Long, MemorySegment> AGE = new LinkedHashMap<>();
    /** Live blocks handed out for the class below their own (address → block size); guarded by CACHE. */
    private static final Map<Long, Long> PROMOTED = new HashMap<>();
    private static long cachedBytes;

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private NativeMemory() {}

    /**
     * Allocates at least bytes (64-byte aligned, uninitialised). The segment is bytes rounded up
     * to 64; the block behind it is {@link #blockSize} of that.
     */
    public static MemorySegment allocate(long bytes) {
        long size = Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
        long block = blockSize(size);
        MemorySegment p = block >= CACHE_MIN_BYTES ? takeCached(block) : null;
        if (p != null) {
            block = p.byteSize();
        } else {
            p = mallocAligned(block);
            if (p.address() == 0 && releaseCache() > 0) p = mallocAligned(block);
            if (p.address() == 0) {
                throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of host memory for a tensor ("
                        + LIVE_BYTES.get() + " bytes already held by tensors)");
            }
        }
        long live = LIVE_BYTES.addAndGet(block);
        PEAK_BYTES.accumulateAndGet(live, Math::max);
        return p.reinterpret(size);
    }

    /** Frees a segment {@link #allocate} returned: its whole block, whose class follows from its size unless it was promoted. */
    public static void free(MemorySegment segment) {
        long block = blockSize(segment.byteSize());
        if (block < CACHE_MIN_BYTES) {
            LIVE_BYTES.addAndGet(-block);
            freeNow(segment);
            return;
        }
        List<MemorySegment> toFree;
        synchronized (CACHE) {
            Long promoted = PROMOTED.remove(segment.address());
            if (promoted != null) block = promoted;
            MemorySegment whole = segment.reinterpret(block);
            toFree = block > CACHE_MAX_BYTES ? List.of(whole) : keep(whole);
        }
        LIVE_BYTES.addAndGet(-block);
        for (MemorySegment m : toFree) freeNow(m);
    }

    /**
     * The block behind a segment of size bytes (a multiple of 64): below {@link #CACHE_MIN_BYTES}
     * the size itself; from there on rounded up to a multiple of an eighth of its highest power of
     * two (eight classes per doubling, at most 12.5% more).
     */
    static long blockSize(long size) {
        if (size < CACHE_MIN_BYTES) return size;
        long step = Long.highestOneBit(size) >> 3;
        return (size + step - 1) / step * step;
    }

    /** Hands every cached block back to the C allocator; returns the bytes released. */
    public static long releaseCache() {
        List<MemorySegment> all = new ArrayList<>();
        synchronized (CACHE) {
            for (ArrayDeque<MemorySegment> q : CACHE.values()) all.addAll(q);
            CACHE.clear();
            AGE.clear();
            cachedBytes = 0;
        }
        long released = 0;
        for (MemorySegment m : all) {
            released += m.byteSize();
            freeNow(m);
        }
        return released;
    }

    /** Bytes of freed blocks kept for reuse. */
    public static long cachedBytes() {
        synchronized (CACHE) {
            return cachedBytes;
        }
    }

    /**
     * A cached block of class block, else one of the next class up (at most an eighth larger
     * again; recorded in PROMOTED so that free returns it to its own class): sizes that vary
     * around a class boundary from step to step then share one set of blocks.
     */
    private static MemorySegment takeCached(long block) {
        synchronized (CACHE) {
            MemorySegment m = poll(block);
            if (m == null) {
                m = poll(blockSize(block + ALIGN));
                if (m != null) PROMOTED.put(m.address(), m.byteSize());
            }
            if (m != null) cachedBytes -= m.byteSize();
            return m;
        }
    }

    private static MemorySegment poll(long block) {
        ArrayDeque<MemorySegment> q = CACHE.get(block);
        MemorySegment m = q == null ? null : q.pollLast();
        if (m != null) AGE.remove(m.address());
        return m;
    }

    /**
     * Caches a freed block (the caller holds the CACHE lock), first evicting the blocks cached
     * longest ago while it would not fit under the cap; returns the evicted ones, for the caller
     * to free outside the lock. A run's phases use different sizes (the demo trains a VQGAN, then
     * encodes images, then trains an LM in one process): refusing new blocks once the cap was full
     * of an earlier phase's sizes made the LM's steps fault their memory in again (the multimodal
     * stage 480 s in the demo's process against 406 s alone; BENCHMARKS.md).
     */
    private static List<MemorySegment> keep(MemorySegment segment) {
        List<MemorySegment> evicted = new ArrayList<>();
        while (cachedBytes + segment.byteSize() > CACHE_MAX_BYTES) {
            MemorySegment oldest = AGE.pollFirstEntry().getValue();
            CACHE.get(oldest.byteSize()).remove(oldest);
            cachedBytes -= oldest.byteSize();
            evicted.add(oldest);
        }
        CACHE.computeIfAbsent(segment.byteSize(), k -> new ArrayDeque<>()).addLast(segment);
        AGE.put(segment.address(), segment);
        cachedBytes += segment.byteSize();
        return evicted;
    }

    private static MemorySegment mallocAligned(long size) {
        try {
            return (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, size);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
    }

    private static void freeNow(MemorySegment segment) {
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
