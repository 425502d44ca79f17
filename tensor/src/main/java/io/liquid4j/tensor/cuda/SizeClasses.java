package io.liquid4j.tensor.cuda;

/**
 * Allocation size classes of the caching allocator: requests are rounded up so that freed blocks
 * can serve later requests of slightly different sizes. Below 1 MiB: multiples of 512 B (small
 * tensors, little waste). Above: four classes per power of two (≤ 25% waste), so a model's
 * activations of varying sequence length still hit the cache.
 */
public final class SizeClasses {
    public static final long SMALL_QUANTUM = 512;
    public static final long SMALL_LIMIT = 1L << 20;

    private SizeClasses() {}

    /** The size actually reserved for a request of `bytes` (≥ 1). */
    public static long roundUp(long bytes) {
        if (bytes <= 0) return SMALL_QUANTUM;
        if (bytes <= SMALL_LIMIT) return (bytes + SMALL_QUANTUM - 1) / SMALL_QUANTUM * SMALL_QUANTUM;
        int hi = 63 - Long.numberOfLeadingZeros(bytes - 1);   // 2^hi < bytes ≤ 2^(hi+1)
        long step = 1L << (hi - 2);                             // quarter of the octave
        return (bytes + step - 1) / step * step;
    }
}
