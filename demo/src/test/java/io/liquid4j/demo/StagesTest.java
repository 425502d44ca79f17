package io.liquid4j.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.Backends;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two independent stages side by side: both run at the same time on threads of their own with the
 * CPU kernels held to one thread each, the second one's console output goes to its console.log,
 * the overlap is recorded (and read back when both are reused), the thread limit comes back, and
 * a failure of the second stage reaches the caller.
 */
class StagesTest {
    @TempDir Path tmp;

    @Test
    void twoStagesRunAtOnceAndTheirOverlapCountsOnce() throws Exception {
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        int threads = Backends.cpuThreads();
        CountDownLatch bothStarted = new CountDownLatch(2);
        AtomicReference<Thread> aThread = new AtomicReference<>(), bThread = new AtomicReference<>();
        AtomicInteger limitInA = new AtomicInteger(), limitInB = new AtomicInteger();
        Stages st = new Stages(tmp, "seed 0", 2, log);
        List<Map<String, Object>> r = st.runSideBySide(
                "a", "stage a", "x", dir -> {
                    aThread.set(Thread.currentThread());
                    bothStarted.countDown();
                    assertTrue(await(bothStarted), "b started while a ran");
                    limitInA.set(Backends.cpuThreads());
                    nap(200);
                    return Map.of("which", "a");
                },
                "b", "stage b", "y", dir -> {
                    bThread.set(Thread.currentThread());
                    bothStarted.countDown();
                    assertTrue(await(bothStarted), "a ran while b did");
                    limitInB.set(Backends.cpuThreads());
                    System.err.println("progress of b");
                    nap(200);
                    return Map.of("which", "b");
                }, true);
        assertEquals("a", r.get(0).get("which"));
        assertEquals("b", r.get(1).get("which"));
        assertNotSame(aThread.get(), bThread.get());
        assertEquals(1, limitInA.get(), "kernels on one thread while both run");
        assertEquals(1, limitInB.get());
        assertEquals(threads, Backends.cpuThreads(), "the limit is lifted afterwards");
        assertTrue(Files.readString(tmp.resolve("b/console.log")).contains("progress of b"));
        assertFalse(logBytes.toString(StandardCharsets.UTF_8).contains("progress of b"), "b's output stays out of the log");
        double overlap = st.overlap().get("b");
        assertTrue(overlap > 0.1 && overlap <= st.seconds().get("b") + 1e-9, "overlap " + overlap + " of " + st.seconds());

        Stages again = new Stages(tmp, "seed 0", 2, log);
        again.runSideBySide("a", "stage a", "x", dir -> { throw new AssertionError("a reruns"); },
                "b", "stage b", "y", dir -> { throw new AssertionError("b reruns"); }, true);
        assertEquals(overlap, again.overlap().get("b"), 1e-9, "the overlap is read back with the reused stages");

        Files.delete(tmp.resolve("a/.done.json"));             // a interrupted in a later run: it reruns alone, b is reused
        Stages third = new Stages(tmp, "seed 0", 2, log);
        third.runSideBySide("a", "stage a", "x", dir -> Map.of("which", "a again"),
                "b", "stage b", "y", dir -> { throw new AssertionError("b reruns"); }, true);
        assertFalse(third.overlap().containsKey("b"), "no overlap with a run of a that is gone");
    }

    @Test
    void aFailureOfTheSecondStageReachesTheCallerAndTheLimitComesBack() {
        int threads = Backends.cpuThreads();
        Stages st = new Stages(tmp, "seed 1", 2, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        var e = assertThrows(IllegalStateException.class, () -> st.runSideBySide(
                "a", "stage a", "x", dir -> Map.of(),
                "b", "stage b", "y", dir -> { throw new IllegalStateException("b broke"); }, true));
        assertEquals("b broke", e.getMessage());
        assertEquals(threads, Backends.cpuThreads());
        assertFalse(Files.exists(tmp.resolve("b/.done.json")), "a failed stage leaves no marker");
        assertTrue(Files.exists(tmp.resolve("a/.done.json")));
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void nap(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
