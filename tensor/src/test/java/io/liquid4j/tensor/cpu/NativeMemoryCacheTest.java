package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Freed large blocks are reused by exact size, counted apart from live bytes, and released on request. */
class NativeMemoryCacheTest {
    /** An odd size no other test allocates, so the cache's other contents do not matter. */
    private static final long SIZE = NativeMemory.CACHE_MIN_BYTES + 64 * 37;

    @Test void aFreedLargeBlockIsReusedForTheSameSize() {
        MemorySegment a = NativeMemory.allocate(SIZE);
        long address = a.address(), live = NativeMemory.liveBytes(), cached = NativeMemory.cachedBytes();
        NativeMemory.free(a);
        assertEquals(live - SIZE, NativeMemory.liveBytes(), "a cached block is not live");
        assertEquals(cached + SIZE, NativeMemory.cachedBytes());
        MemorySegment b = NativeMemory.allocate(SIZE - 10);   // rounds up to the same 64-byte multiple
        assertEquals(address, b.address());
        assertEquals(SIZE, b.byteSize());
        assertEquals(cached, NativeMemory.cachedBytes());
        b.fill((byte) 7);   // usable memory
        NativeMemory.free(b);
        assertTrue(NativeMemory.releaseCache() >= SIZE);
        assertEquals(0, NativeMemory.cachedBytes());
    }

    @Test void smallBlocksGoStraightBack() {
        long cached = NativeMemory.cachedBytes();
        NativeMemory.free(NativeMemory.allocate(4096));
        assertEquals(cached, NativeMemory.cachedBytes());
    }

    @Test void twoLiveBlocksOfOneSizeAreDistinct() {
        MemorySegment a = NativeMemory.allocate(SIZE), b = NativeMemory.allocate(SIZE);
        assertNotEquals(a.address(), b.address());
        NativeMemory.free(a);
        NativeMemory.free(b);
        MemorySegment c = NativeMemory.allocate(SIZE), d = NativeMemory.allocate(SIZE);
        assertNotEquals(c.address(), d.address());
        NativeMemory.free(c);
        NativeMemory.free(d);
        NativeMemory.releaseCache();
    }
}
