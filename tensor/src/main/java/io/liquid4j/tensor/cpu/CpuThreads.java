package io.liquid4j.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one fixed set of worker threads that every CPU kernel uses. Work is split into a few
 * contiguous ranges (tiles or rows), never per element; the calling thread runs the first range
 * itself so a 1-thread machine pays no hand-off.
 *
 * <p>Why not a ForkJoinPool: a decode step of a 110M-parameter model makes ~85 parallel
 * matrix-vector products of 40-150 µs each, and waking a parked pool thread (futex + scheduler)
 * cost tens of µs per call on the VMs we measure on; a 768×768 BF16 GEMV took longer on two
 * threads than on one. Here workers spin for {@code liquid4j.spinMicros} (default 200 µs) after
 * each job before they park, so back-to-back kernels hand off through one volatile write. A
 * parked worker costs nothing; a spinning one burns its core only for that grace period.
 *
 * <p>Thread count: system property {@code liquid4j.threads}, else the number of available processors.
 * Nested calls (a kernel called from inside a parallel range) and calls made while another
 * thread is using the workers run serially on the calling thread: correct, never deadlocking.
 */
public final class CpuThreads {
    /** Body of a parallel loop over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final int THREADS = Math.max(1,
            Integer.getInteger("liquid4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NANOS = Math.max(0, Long.getLong("liquid4j.spinMicros", 200)) * 1000;
    /** Guards the workers: one parallel loop at a time. */
    private static final ReentrantLock GATE = new ReentrantLock();
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    /** The job the workers run next; each call publishes a fresh one (identity marks it as new). */
    private static volatile Job current;
    private static final Worker[] WORKERS = startWorkers();

    private CpuThreads() {}

    /** The most threads kernels split work across now: see {@link #limit(int)}. */
    private static volatile int limit = THREADS;

    /**
     * Number of threads kernels split their work across: {@code liquid4j.threads} (else the
     * processors), or fewer while {@link #limit(int)} holds it lower.
     */
    public static int threads() { return limit; }

    /**
     * Sets the most threads kernels split their work across from their next call on (clamped to
     * 1..{@code liquid4j.threads}) and returns the previous limit. For a caller that runs
     * independent jobs side by side on threads of its own: at 1 each job's kernels run on its own
     * thread, where otherwise the jobs' threads and the workers would share the cores and every
     * evenly split kernel would wait for its descheduled part. Kernels give the same bits for any
     * split, so the limit changes speed, never results.
     */
    public static int limit(int n) {
        int previous = limit;
        limit = Math.max(1, Math.min(THREADS, n));
        return previous;
    }

    /**
     * Runs body over [0, count) split into at most {@link #threads()} contiguous ranges of at
     * least minGrain items each. Returns when every range is done; rethrows the first failure.
     */
    public static void parallelFor(int count, int minGrain, RangeBody body) {
        if (count <= 0) return;
        run(body, count, Math.min(limit, Math.max(1, count / Math.max(1, minGrain))), 0);
    }

    /**
     * Runs body over [0, count) in chunks of {@code chunk} items that the threads take in turn
     * from a shared counter until none are left: a thread that starts late or runs slower (a
     * worker waking up, a core whose DRAM streams lag) simply takes fewer chunks, where equal
     * static ranges would leave the others waiting for it. For bandwidth-bound kernels of tens
     * of µs (decode-time GEMVs).
     */
    public static void parallelForChunks(int count, int chunk, RangeBody body) {
        if (count <= 0) return;
        int c = Math.max(1, chunk);
        run(body, count, Math.min(limit, (count + c - 1) / c), c);
    }

    /** One loop of {@link #parallelForChunks(Loop...)}: body over [0, count) in chunks of chunk items. */
    public record Loop(int count, int chunk, RangeBody body) {
        public Loop {
            if (count < 0 || chunk < 1) throw new IllegalArgumentException("loop of " + count + " items in chunks of " + chunk);
        }
    }

    /**
     * Several chunked loops as one parallel job: the threads take chunks of all of them in turn,
     * loop after loop, each chunk exactly as {@link #parallelForChunks(int, int, RangeBody)} would
     * have cut it. For products that are each too small to split well (a layer's q, k and v
     * projections at decode time, ~40 µs apiece): one hand-off for all of them, and no thread
     * waits at the end of each one for the other to finish its last chunk.
     */
    public static void parallelForChunks(Loop... loops) {
        int[] firsts = new int[loops.length + 1];
        for (int i = 0; i < loops.length; i++) {
            long chunks = firsts[i] + ((long) loops[i].count + loops[i].chunk - 1) / loops[i].chunk;
            if (chunks > Integer.MAX_VALUE) throw new IllegalArgumentException("more than " + Integer.MAX_VALUE + " chunks");
            firsts[i + 1] = (int) chunks;
        }
        int total = firsts[loops.length];
        if (total == 0) return;
        RangeBody body = (s, e) -> {
            int i = 0;
            for (int c = s; c < e; c++) {
                while (c >= firsts[i + 1]) i++;
                Loop loop = loops[i];
                int start = (c - firsts[i]) * loop.chunk;
                loop.body.run(start, (int) Math.min(loop.count, (long) start + loop.chunk));
            }
        };
        run(body, total, Math.min(limit, total), 1);
    }

    private static void run(RangeBody body, int count, int parts, int chunk) {
        if (parts <= 1 || Thread.currentThread() instanceof Worker || INSIDE.get() || !GATE.tryLock()) {
            body.run(0, count);
            return;
        }
        try {
            Job job = new Job(body, count, parts, chunk);
            current = job;
            for (int w = 0; w + 1 < parts; w++) {
                if (WORKERS[w].sleeping) LockSupport.unpark(WORKERS[w]);
            }
            INSIDE.set(true);
            try {
                job.runPart(0);
            } finally {
                INSIDE.set(false);
            }
            job.awaitWorkers();
            job.rethrow();
        } finally {
            GATE.unlock();
        }
    }

    private static Worker[] startWorkers() {
        Worker[] workers = new Worker[THREADS - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
        return workers;
    }

    /**
     * One parallel loop: its ranges (static: part p of parts; or chunks taken from next), how
     * many worker parts are still running, the first failure.
     */
    private static final class Job {
        final RangeBody body;
        final int count, parts, chunk;
        final AtomicInteger pending, next = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeBody body, int count, int parts, int chunk) {
            this.body = body;
            this.count = count;
            this.parts = parts;
            this.chunk = chunk;
            this.pending = new AtomicInteger(parts - 1);
        }

        void runPart(int part) {
            try {
                if (chunk == 0) {
                    body.run((int) ((long) count * part / parts), (int) ((long) count * (part + 1) / parts));
                    return;
                }
                for (int s; failure.get() == null && (s = next.getAndAdd(chunk)) < count; ) {
                    body.run(s, (int) Math.min(count, (long) s + chunk));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** Spins while the workers are likely about to finish, then yields, then naps (an oversubscribed machine). */
        void awaitWorkers() {
            long start = System.nanoTime();
            for (int spins = 0; pending.get() != 0; spins++) {
                if (spins < 1024) {
                    Thread.onSpinWait();
                    continue;
                }
                long waited = System.nanoTime() - start;
                if (waited < 1_000_000) Thread.yield();
                else LockSupport.parkNanos(20_000);
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error err) throw err;
            if (t != null) throw new IllegalStateException(t);
        }
    }

    /** Runs range {@code part} of each job it sees; spins for SPIN_NANOS after a job, then parks. */
    private static final class Worker extends Thread {
        private final int part;
        volatile boolean sleeping;

        Worker(int part) {
            super("liquid4j-cpu-" + part);
            this.part = part;
            setDaemon(true);
        }

        @Override public void run() {
            Job seen = null;
            while (true) {
                Job job = current;
                if (job == seen) {
                    idle(seen);
                    continue;
                }
                seen = job;
                if (part < job.parts) {
                    job.runPart(part);
                    job.pending.decrementAndGet();
                }
            }
        }

        /** Waits until a job other than seen is published. */
        private void idle(Job seen) {
            long start = System.nanoTime();
            int spins = 0;
            while (current == seen) {
                if (++spins < 256 || System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Dekker pairing with parallelFor: it writes current then reads sleeping; this
                // writes sleeping then reads current, so one of the two sees the other.
                sleeping = true;
                if (current == seen) LockSupport.park(this);
                sleeping = false;
                start = System.nanoTime();
                spins = 0;
            }
        }
    }
}
