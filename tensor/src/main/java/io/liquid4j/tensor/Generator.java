package io.liquid4j.tensor;

/**
 * A seeded, counter-based random generator. A call that needs n numbers takes the counter range
 * [c, c+n) and element i is a pure function of (seed, c+i), so results are reproducible across
 * runs, thread counts and devices. Not thread-safe: use one per thread or synchronise.
 */
public final class Generator {
    private final long seed;
    private long counter;

    public Generator(long seed) { this.seed = seed; }

    public long seed() { return seed; }

    /** Reserves n consecutive counter values and returns the first. */
    public long advance(long n) {
        long c = counter;
        counter += n;
        return c;
    }

    /** SplitMix64 finaliser: a strong 64-bit mix used by every backend's random kernel. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The 64 random bits of element number `index` for a given seed. */
    public static long bits(long seed, long index) {
        return mix(mix(seed + 0x9E3779B97F4A7C15L) ^ (index * 0xD1B54A32D192ED03L + 0x8CB92BA72F3D8DD7L));
    }

    /** Uniform double in [0, 1) from the top 53 bits. */
    public static double uniform(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }

    /** Standard normal via Box–Muller from the two 32-bit halves of the bits. */
    public static double normal(long bits) {
        double u1 = ((bits >>> 32) + 1) * 0x1.0p-32;      // (0, 1]: log never sees 0
        double u2 = (bits & 0xFFFFFFFFL) * 0x1.0p-32;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
