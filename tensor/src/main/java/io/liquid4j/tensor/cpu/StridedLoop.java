package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.Layout;

/**
 * Iterates equally shaped strided views (one output and its inputs) as runs along the innermost
 * dimension. Dimensions that are contiguous for every operand are merged first
 * ({@link Layout#coalesce}), so a contiguous elementwise op becomes a single long run; work is
 * split across CpuThreads by runs (and by chunks of a run when there are few), never by element.
 */
final class StridedLoop {
    /** Body of the loop: one run of len elements; offs[k] is operand k's element offset at the run start. */
    @FunctionalInterface
    interface Body {
        void run(long[] offs, int len);
    }

    private static final int CHUNK = 1 << 14;

    private final int[] shape;
    private final long[][] strides;
    private final long[] base;
    final int inner;
    /** Innermost stride of each operand (elements). */
    final long[] innerStride;

    private StridedLoop(int[] shape, long[][] strides, long[] base) {
        this.shape = shape;
        this.strides = strides;
        this.base = base;
        this.inner = shape[shape.length - 1];
        this.innerStride = new long[strides.length];
        for (int k = 0; k < strides.length; k++) innerStride[k] = strides[k][shape.length - 1];
    }

    /** Plans a loop over shape for operands with the given base offsets and strides (in elements). */
    static StridedLoop of(int[] shape, long[] base, long[]... strides) {
        // merged dims stay within int: runs and run counts are int-indexed
        Layout.Coalesced c = Layout.coalesce(shape, Integer.MAX_VALUE, strides);
        if (c.rank() == 0) return new StridedLoop(new int[] {1}, new long[strides.length][1], base.clone());
        int[] s = new int[c.rank()];
        for (int d = 0; d < s.length; d++) s[d] = (int) c.sizes()[d];
        return new StridedLoop(s, c.strides(), base.clone());
    }

    long numel() {
        long n = 1;
        for (int x : shape) n *= x;
        return n;
    }

    /** True when every operand's innermost stride is 1 (runs are plain contiguous spans). */
    boolean allUnitInner() {
        for (long s : innerStride) if (s != 1) return false;
        return true;
    }

    /** Runs body over all runs, in parallel when the work is large enough. */
    void forEach(Body body) {
        long outer = numel() / Math.max(1, inner);
        if (numel() == 0) return;
        int chunks = inner > CHUNK && outer < CpuThreads.threads() * 4L ? (int) ((inner + CHUNK - 1L) / CHUNK) : 1;
        long items = outer * chunks;
        if (items > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for one loop");
        int chunkLen = chunks == 1 ? inner : CHUNK;
        int grain = (int) Math.max(1, (CHUNK * 4L) / Math.max(1, chunkLen));
        CpuThreads.parallelFor((int) items, grain, (start, end) -> {
            int ops = strides.length, nd = shape.length;
            long[] offs = new long[ops];
            int[] idx = new int[nd];
            for (int it = start; it < end; it++) {
                long o = it / chunks;
                int c = it % chunks;
                // decode the outer index into coordinates of dims 0..nd-2
                long rem = o;
                for (int d = nd - 2; d >= 0; d--) {
                    idx[d] = (int) (rem % shape[d]);
                    rem /= shape[d];
                }
                for (int k = 0; k < ops; k++) {
                    long off = base[k];
                    for (int d = 0; d < nd - 1; d++) off += idx[d] * strides[k][d];
                    offs[k] = off + (long) c * chunkLen * innerStride[k];
                }
                int len = Math.min(chunkLen, inner - c * chunkLen);
                body.run(offs, len);
            }
        });
    }
}
