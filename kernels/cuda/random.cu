// Counter-based random fill: element i is a pure function of (seed, counter + i), the same
// SplitMix64-based function as io.liquid4j.tensor.Generator.bits, so GPU and CPU produce the same
// numbers. Memory traffic: one write per element, nothing read. Launch: 1-D grid-stride, 256 threads.
#include "common.cuh"

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
__device__ __forceinline__ unsigned long long rand_bits(unsigned long long seed, unsigned long long index) {
    return mix64(mix64(seed + 0x9E3779B97F4A7C15ULL) ^ (index * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
}

// normal=0: uniform in [a, b), clamped to `top` (the largest value of the dtype below b, as the
// CPU does: a draw just under b would round up to b when stored); normal=1: a + b·N(0,1) via Box–Muller.
extern "C" __global__ void l4j_random(long long n, void* dst, int dt, int normal, unsigned long long seed,
                                      unsigned long long counter, double a, double b, double top) {
    GRID_STRIDE(i, n) {
        unsigned long long bits = rand_bits(seed, counter + (unsigned long long)i);
        double v;
        if (normal) {
            double u1 = (double)((bits >> 32) + 1) * 0x1.0p-32;
            double u2 = (double)(bits & 0xFFFFFFFFULL) * 0x1.0p-32;
            v = a + b * (sqrt(-2 * log(u1)) * cos(2 * 3.141592653589793 * u2));
        } else {
            v = fmin(top, a + (b - a) * ((double)(bits >> 11) * 0x1.0p-53));
        }
        store_d(dst, dt, i, v);
    }
}
