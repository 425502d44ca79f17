package io.liquid4j.tensor.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one fixed pool of worker threads that every CPU kernel uses. Work is split into a few
 * contiguous ranges (tiles or rows), never per element; the calling thread runs the first range
 * itself so a 1-thread machine pays no hand-off.
 *
 * <p>Thread count: system property {@code liquid4j.threads}, else the number of available processors.
 * Nested calls (a kernel called from inside a parallel range) run serially to avoid deadlock.
 */
public final class CpuThreads {
    /** Body of a parallel loop over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final int THREADS = Math.max(1,
            Integer.getInteger("liquid4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1,
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("liquid4j-cpu-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false) : null;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private CpuThreads() {}

    /** Number of threads kernels split their work across. */
    public static int threads() { return THREADS; }

    /**
     * Runs body over [0, count) split into at most {@link #threads()} contiguous ranges of at
     * least minGrain items each. Returns when every range is done; rethrows the first failure.
     */
    public static void parallelFor(int count, int minGrain, RangeBody body) {
        if (count <= 0) return;
        int parts = Math.min(THREADS, Math.max(1, count / Math.max(1, minGrain)));
        if (parts <= 1 || POOL == null || INSIDE.get()) {
            body.run(0, count);
            return;
        }
        var failure = new AtomicReference<Throwable>();
        var done = new CountDownLatch(parts - 1);
        for (int p = 1; p < parts; p++) {
            int s = (int) ((long) count * p / parts), e = (int) ((long) count * (p + 1) / parts);
            POOL.execute(() -> {
                INSIDE.set(true);
                try {
                    body.run(s, e);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    INSIDE.set(false);
                    done.countDown();
                }
            });
        }
        INSIDE.set(true);
        try {
            body.run(0, (int) ((long) count / parts));
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        } finally {
            INSIDE.set(false);
        }
        try {
            done.await();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for CPU workers", ie);
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }
}
