package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Freed large blocks are reused by size class, counted apart from live bytes, and released on request. */
class NativeMemoryCacheTest {
    /** An odd size (the cache hands out the block freed last, so its other contents do not matter). */
    private static final long SIZE = NativeMemory.CACHE_MIN_BYTES + 64 * 37;
    /** Its size class: 256 KiB + 32 KiB. */
    private static final long BLOCK = NativeMemory.CACHE_MIN_BYTES + (32 << 10);

    @Test void aFreedLargeBlockIsReusedForTheSameSize() {
        MemorySegment a = NativeMemory.allocate(SIZE);
        long address = a.address(), live = NativeMemory.liveBytes(), cached = NativeMemory.cachedBytes();
        NativeMemory.free(a);
        assertEquals(live - BLOCK, NativeMemory.liveBytes(), "a cached block is not live");
        assertEquals(cached + BLOCK, NativeMemory.cachedBytes());
        MemorySegment b = NativeMemory.allocate(SIZE - 10);   // rounds up to the same 64-byte multiple
        assertEquals(address, b.address());
        assertEquals(SIZE, b.byteSize());
        assertEquals(cached, NativeMemory.cachedBytes());
        b.fill((byte) 7);   // usable memory
        NativeMemory.free(b);
        assertTrue(NativeMemory.releaseCache() >= BLOCK);
        assertEquals(0, NativeMemory.cachedBytes());
    }

    /** Sizes that differ a little from step to step (a loss over the counted rows only) share their blocks. */
    @Test void aFreedBlockIsReusedForAnotherSizeOfItsClass() {
        MemorySegment a = NativeMemory.allocate(SIZE);
        long address = a.address();
        NativeMemory.free(a);
        MemorySegment b = NativeMemory.allocate(BLOCK - 64 * 5);
        assertEquals(address, b.address());
        assertEquals(BLOCK - 64 * 5, b.byteSize());
        b.fill((byte) 3);
        NativeMemory.free(b);
        MemorySegment c = NativeMemory.allocate(BLOCK + 64);   // the next class
        assertNotEquals(address, c.address());
        NativeMemory.free(c);
        NativeMemory.releaseCache();
    }

    /** A request whose class has no free block takes one of the next class up, which goes back to that class when freed. */
    @Test void aBlockOfTheNextClassUpServesASmallerRequest() {
        NativeMemory.releaseCache();
        long next = BLOCK + (32 << 10);
        MemorySegment a = NativeMemory.allocate(next);
        long address = a.address();
        NativeMemory.free(a);
        long live = NativeMemory.liveBytes();
        MemorySegment b = NativeMemory.allocate(SIZE);
        assertEquals(address, b.address(), "promoted from the class above");
        assertEquals(SIZE, b.byteSize());
        assertEquals(live + next, NativeMemory.liveBytes(), "the whole block is live");
        assertEquals(0, NativeMemory.cachedBytes());
        NativeMemory.free(b);
        assertEquals(live, NativeMemory.liveBytes());
        assertEquals(next, NativeMemory.cachedBytes(), "back in its own class");
        MemorySegment c = NativeMemory.allocate(next - 64);
        assertEquals(address, c.address());
        NativeMemory.free(c);
        NativeMemory.releaseCache();
    }

    /**
     * A full cache (the default 1024 MiB) makes room for a new block by freeing the ones it cached
     * longest ago. The blocks are never touched, so they take address space, not memory.
     */
    @Test void aFullCacheEvictsTheBlocksCachedLongestAgo() {
        NativeMemory.releaseCache();
        long big = 320L << 20;   // a size class of its own: 256 MiB + 2 × 32 MiB
        assertEquals(big, NativeMemory.blockSize(big));
        MemorySegment[] blocks = new MemorySegment[4];
        for (int i = 0; i < blocks.length; i++) blocks[i] = NativeMemory.allocate(big);
        long first = blocks[0].address(), last = blocks[3].address();
        for (MemorySegment b : blocks) NativeMemory.free(b);
        assertEquals(3 * big, NativeMemory.cachedBytes(), "four would pass the cap: the oldest was freed");
        MemorySegment[] again = {NativeMemory.allocate(big), NativeMemory.allocate(big), NativeMemory.allocate(big)};
        assertEquals(last, again[0].address(), "the newest block comes back first");
        for (MemorySegment b : again) assertNotEquals(first, b.address(), "the evicted block is no longer cached");
        assertEquals(0, NativeMemory.cachedBytes());
        for (MemorySegment b : again) NativeMemory.free(b);
        NativeMemory.releaseCache();
    }

    @Test void sizeClassesAreEightPerDoublingAndAtMostAnEighthLarger() {
        long min = NativeMemory.CACHE_MIN_BYTES;
        assertEquals(4096, NativeMemory.blockSize(4096), "small blocks are not rounded");
        assertEquals(min, NativeMemory.blockSize(min));
        assertEquals(min + (32 << 10), NativeMemory.blockSize(min + 64));
        assertEquals(3L << 20, NativeMemory.blockSize((3L << 20) - 64 * 1000));
        assertEquals((9L << 20), NativeMemory.blockSize((8L << 20) + 64));
        for (long size = min; size < (64L << 20); size += 64 * 977) {
            long block = NativeMemory.blockSize(size);
            assertTrue(block >= size && block <= size + size / 8, size + " -> " + block);
            assertEquals(block, NativeMemory.blockSize(block), "a block size is its own class");
        }
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
