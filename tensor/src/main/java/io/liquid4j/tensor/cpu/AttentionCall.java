package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;

/**
 * What every attention kernel needs to know about one call: the operands as rows, the sizes,
 * the visibility intervals, and how scores are formed. q is decoded times {@link #qScale}
 * (scale, or scale/softcap: the tanh argument), so a score tile is ready after one micro-GEMM.
 *
 * <p>Every array a kernel allocates for the call comes from {@link #floats}/{@link #ints}/
 * {@link #longs}, which count the bytes ({@link #scratchBytes}): the memory claim of the
 * kernels, O(tile·D) per thread plus O(B·H·L) per call, is held by a test to that count.
 */
final class AttentionCall {
    final AttentionRows q, k, v;
    final int batch, hq, hkv, group, lq, lk, d, dv;
    final float scale, qScale, cap;
    final AttentionRanges ranges;
    private final AtomicLong scratch = new AtomicLong();

    AttentionCall(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        this.q = new AttentionRows(q);
        this.k = new AttentionRows(k);
        this.v = new AttentionRows(v);
        this.batch = q.size(0);
        this.hq = q.size(1);
        this.lq = q.size(2);
        this.d = q.size(3);
        this.hkv = k.size(1);
        this.lk = k.size(2);
        this.dv = v.size(3);
        if (k.size(0) != batch || v.size(0) != batch || v.size(1) != hkv || v.size(2) != lk || k.size(3) != d || hkv == 0 || hq % hkv != 0) {
            throw new IllegalArgumentException("attention kernel: q " + q.describe() + ", k " + k.describe() + ", v " + v.describe() + " do not fit");
        }
        this.group = hq / hkv;
        this.scale = (float) spec.scale();
        this.cap = (float) spec.softcap();
        this.qScale = (float) (cap > 0 ? spec.scale() / spec.softcap() : spec.scale());
        this.ranges = new AttentionRanges(spec, batch, lq, lk);
        scratch.addAndGet(ranges.bytes());
    }

    float[] floats(int n) {
        scratch.addAndGet(4L * n);
        return new float[n];
    }

    int[] ints(int n) {
        scratch.addAndGet(4L * n);
        return new int[n];
    }

    long[] longs(int n) {
        scratch.addAndGet(8L * n);
        return new long[n];
    }

    /** Bytes of heap the kernels have allocated for this call so far. */
    long scratchBytes() {
        return scratch.get();
    }

    /** The work of one item, given the running thread's scratch S (its tiles, made once per thread and call). */
    interface ItemBody<S> {
        void run(int item, S scratch);
    }

    /** One query tile of one (batch row, query head): the queries [i0, i0 + tile). */
    interface QueryTileBody<S> {
        void run(int b, int h, int i0, S scratch);
    }

    /**
     * Runs body over every (query tile, batch row, query head) with {@link #forEachItem}, an item's
     * cost being the keys its queries' union interval spans (the forward and the dQ pass split the
     * same way).
     */
    <S> void forEachQueryTile(int tile, Supplier<S> newScratch, QueryTileBody<S> body) {
        int tiles = (lq + tile - 1) / tile, heads = batch * hq;
        int[] block = ints(4);
        long[] cost = longs(batch * tiles);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tiles; t++) {
                ranges.block(b, t * tile, Math.min(tile, lq - t * tile), block);
                cost[b * tiles + t] = (long) (block[1] - block[0]) * tile + 1;
            }
        }
        // item = tile · heads + (b · Hq + h)
        forEachItem(heads * tiles, i -> cost[(i % heads) / hq * tiles + i / heads], newScratch, (item, s) -> {
            int bh = item % heads;
            body.run(bh / hq, bh % hq, item / heads * tile, s);
        });
    }

    /**
     * Runs body over items [0, count), most expensive first (cost: an estimate of the work of an
     * item, e.g. its visible keys), the threads taking the next item from a shared counter: with
     * causal masks the items differ by up to Lk/tile in work, and static ranges would leave one
     * thread with all the long ones. Each item writes only its own rows of the results and
     * computes them in a fixed order, so which thread runs it never changes a bit of the output.
     */
    <S> void forEachItem(int count, IntToLongFunction cost, Supplier<S> newScratch, ItemBody<S> body) {
        if (count <= 0) return;
        if (count >= 1 << 24) throw new IllegalArgumentException("attention: too many work items (" + count + ")");
        long[] keyed = longs(count);
        for (int i = 0; i < count; i++) {
            // cost in the high bits (descending once negated), index in the low 24 bits as tie-break
            keyed[i] = (-Math.min(cost.applyAsLong(i), (1L << 38) - 1) << 24) | i;
        }
        Arrays.sort(keyed);
        AtomicInteger next = new AtomicInteger();
        CpuThreads.parallelFor(Math.min(count, CpuThreads.threads()), 1, (s, e) -> {
            S sc = newScratch.get();
            for (int n; (n = next.getAndIncrement()) < count; ) body.run((int) (keyed[n] & 0xffffff), sc);
        });
    }
}
