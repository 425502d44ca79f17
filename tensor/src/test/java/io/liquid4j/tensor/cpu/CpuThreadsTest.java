package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The worker set: every index run exactly once, failures rethrown, nesting and concurrent callers safe. */
class CpuThreadsTest {
    @Test
    void staticRangesAndChunksCoverEveryIndexOnce() {
        for (int count : new int[] {1, 2, 7, 1000, 100_003}) {
            for (int mode = 0; mode < 2; mode++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                CpuThreads.RangeBody body = (s, e) -> {
                    for (int i = s; i < e; i++) hits.incrementAndGet(i);
                };
                if (mode == 0) CpuThreads.parallelFor(count, 1, body);
                else CpuThreads.parallelForChunks(count, 13, body);
                for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "index " + i + " of " + count + " mode " + mode);
            }
        }
    }

    @Test
    void severalChunkedLoopsAsOneJobCoverEachIndexOnceInTheirOwnChunks() {
        int[] counts = {1000, 0, 7, 13, 1}, chunks = {48, 5, 3, 13, 100};
        AtomicIntegerArray[] hits = new AtomicIntegerArray[counts.length];
        CpuThreads.Loop[] loops = new CpuThreads.Loop[counts.length];
        for (int l = 0; l < counts.length; l++) {
            AtomicIntegerArray h = hits[l] = new AtomicIntegerArray(counts[l]);
            int count = counts[l], chunk = chunks[l], loop = l;
            loops[l] = new CpuThreads.Loop(count, chunk, (s, e) -> {
                // each range is one whole chunk, cut where parallelForChunks(count, chunk) cuts it
                assertEquals(0, s % chunk, "loop " + loop + " range start " + s);
                assertEquals(Math.min(count, s + chunk), e, "loop " + loop + " range end");
                for (int i = s; i < e; i++) h.incrementAndGet(i);
            });
        }
        CpuThreads.parallelForChunks(loops);
        for (int l = 0; l < counts.length; l++) {
            for (int i = 0; i < counts[l]; i++) assertEquals(1, hits[l].get(i), "loop " + l + " index " + i);
        }
        CpuThreads.parallelForChunks();   // no loops: nothing to do
        assertThrows(IllegalArgumentException.class, () -> new CpuThreads.Loop(5, 0, (s, e) -> { }));
    }

    @Test
    void aFailureInAnyRangeIsRethrownToTheCaller() {
        IllegalStateException boom = new IllegalStateException("boom");
        for (int mode = 0; mode < 2; mode++) {
            int m = mode;
            var e = assertThrows(IllegalStateException.class, () -> {
                CpuThreads.RangeBody body = (s, end) -> {
                    if (end == 1000) throw boom;         // the last range/chunk: on a worker when there is one
                };
                if (m == 0) CpuThreads.parallelFor(1000, 1, body);
                else CpuThreads.parallelForChunks(1000, 10, body);
            });
            assertSame(boom, e);
        }
        // the workers are still usable afterwards
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        CpuThreads.parallelFor(64, 1, (s, e) -> { for (int i = s; i < e; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void nestedAndConcurrentCallsComplete() throws Exception {
        int callers = 4, count = 5000;
        List<Thread> threads = new ArrayList<>();
        AtomicIntegerArray hits = new AtomicIntegerArray(callers * count);
        for (int t = 0; t < callers; t++) {
            int base = t * count;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int rep = 0; rep < 50; rep++) {
                    int from = base + rep * (count / 50);
                    CpuThreads.parallelFor(count / 50, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            int at = from + i;
                            // a kernel inside a kernel: runs serially on the calling thread
                            CpuThreads.parallelForChunks(1, 1, (a, b) -> hits.incrementAndGet(at));
                        }
                    });
                }
            }));
        }
        for (Thread t : threads) t.join();
        for (int i = 0; i < callers * count; i++) assertEquals(1, hits.get(i), "index " + i);
    }

    @Test
    void aLimitOfOneRunsEveryLoopOnTheCallingThreadUntilLifted() {
        int before = CpuThreads.limit(1);
        try {
            assertEquals(1, CpuThreads.threads());
            List<String> ranges = new ArrayList<>();
            Thread caller = Thread.currentThread();
            CpuThreads.parallelFor(1000, 1, (s, e) -> {
                assertSame(caller, Thread.currentThread());
                synchronized (ranges) { ranges.add(s + ".." + e); }
            });
            CpuThreads.parallelForChunks(1000, 7, (s, e) -> assertSame(caller, Thread.currentThread()));
            assertEquals(List.of("0..1000"), ranges);
            assertEquals(1, CpuThreads.limit(0), "a limit below 1 is clamped to 1");
            assertEquals(1, CpuThreads.threads());
        } finally {
            CpuThreads.limit(before);
        }
        assertEquals(before, CpuThreads.threads());
    }
}
