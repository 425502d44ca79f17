// Reductions along one dim (SUM, MAX, MIN, ARGMAX, ARGMIN, LOGSUMEXP) over any strides.
//
// Dims describes the OUTPUT coordinates (x's shape without the reduced dim): stride[0] = x's
// strides, stride[1] = out's strides; n and sk are the reduced dim's size and x stride.
// Memory traffic: x read once (LOGSUMEXP: twice, the second from L2), out written once.
// Launch shape: l4j_reduce_rows — one warp per output (8 warps/block) for sk == 1, where a warp
// reads a contiguous row coalesced; l4j_reduce_cols — one thread per output otherwise, so
// neighbouring threads read neighbouring columns. Accumulation in double, as the CPU does.
#include "common.cuh"

// op: an L4J_REDUCE_* code (ReduceOp.ordinal(), codes.cuh).

struct Acc { double v; long long i; };

__device__ __forceinline__ bool isnan_d(double v) { return v != v; }

// Combines two partial results; a covers smaller indices than b within one lane's sequence,
// and for the warp tree ties are broken by index so the first occurrence wins (like the CPU).
__device__ __forceinline__ Acc combine(int op, Acc a, Acc b) {
    switch (op) {
        case L4J_REDUCE_SUM: case L4J_REDUCE_LOGSUMEXP: return Acc{a.v + b.v, 0};
        case L4J_REDUCE_MAX: case L4J_REDUCE_MIN:
            if (isnan_d(a.v) || isnan_d(b.v)) return Acc{a.v + b.v, 0};
            return Acc{op == L4J_REDUCE_MAX ? fmax(a.v, b.v) : fmin(a.v, b.v), 0};
        case L4J_REDUCE_ARGMAX: case L4J_REDUCE_ARGMIN: default: {
            if (a.i < 0) return b;
            if (b.i < 0) return a;
            bool an = isnan_d(a.v), bn = isnan_d(b.v);
            if (an || bn) return (an && bn) ? (a.i < b.i ? a : b) : (an ? a : b);
            bool better = op == L4J_REDUCE_ARGMAX ? b.v > a.v : b.v < a.v;
            if (better || (b.v == a.v && b.i < a.i)) return b;
            return a;
        }
    }
}
__device__ __forceinline__ Acc identity(int op) {
    switch (op) {
        case L4J_REDUCE_MAX: return Acc{-INFINITY, 0};
        case L4J_REDUCE_MIN: return Acc{INFINITY, 0};
        case L4J_REDUCE_ARGMAX: case L4J_REDUCE_ARGMIN: return Acc{0, -1};
        case L4J_REDUCE_SUM: case L4J_REDUCE_LOGSUMEXP: default: return Acc{0, 0};
    }
}
__device__ __forceinline__ Acc warp_combine(int op, Acc a) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        Acc b{__shfl_xor_sync(0xffffffffu, a.v, o), __shfl_xor_sync(0xffffffffu, a.i, o)};
        a = combine(op, a, b);
    }
    return a;
}

__device__ void write_result(int op, void* out, int ot, long long at, Acc r, double lseMax) {
    if (op == L4J_REDUCE_ARGMAX || op == L4J_REDUCE_ARGMIN) store_i(out, ot, at, r.i < 0 ? 0 : r.i);
    else if (op == L4J_REDUCE_LOGSUMEXP) store_d(out, ot, at, isinf(lseMax) ? lseMax : lseMax + log(r.v));
    else store_d(out, ot, at, r.v);
}

extern "C" __global__ void l4j_reduce_rows(Dims d, int op, const void* x, int xt, long long n, long long sk,
                                           void* out, int ot) {
    int lane = threadIdx.x & 31;
    long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
    bool intSum = op == L4J_REDUCE_SUM && !is_float_dt(ot);
    for (long long o = warp; o < d.numel; o += nwarps) {
        long long off[2];
        offsets<2>(d, o, off);
        const long long base = off[0];
        if (intSum) {
            long long acc = 0;
            for (long long k = lane; k < n; k += 32) acc += load_i(x, xt, base + k * sk);
#pragma unroll
            for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
            if (lane == 0) store_i(out, ot, off[1], acc);
            continue;
        }
        double m = 0;
        int aop = op;
        if (op == L4J_REDUCE_LOGSUMEXP) {  // pass 1: max, pass 2: Σ exp(x − max)
            Acc mx = identity(L4J_REDUCE_MAX);
            for (long long k = lane; k < n; k += 32) mx = combine(L4J_REDUCE_MAX, mx, Acc{load_d(x, xt, base + k * sk), 0});
            m = warp_combine(L4J_REDUCE_MAX, mx).v;
            aop = L4J_REDUCE_SUM;
        }
        Acc a = identity(op);
        for (long long k = lane; k < n; k += 32) {
            double v = load_d(x, xt, base + k * sk);
            if (op == L4J_REDUCE_LOGSUMEXP) v = isinf(m) ? 0 : exp(v - m);
            a = combine(op, a, Acc{v, k});
        }
        a = warp_combine(aop == L4J_REDUCE_SUM ? L4J_REDUCE_SUM : op, a);
        if (lane == 0) write_result(op, out, ot, off[1], a, m);
    }
}

extern "C" __global__ void l4j_reduce_cols(Dims d, int op, const void* x, int xt, long long n, long long sk,
                                           void* out, int ot) {
    bool intSum = op == L4J_REDUCE_SUM && !is_float_dt(ot);
    GRID_STRIDE(o, d.numel) {
        long long off[2];
        offsets<2>(d, o, off);
        const long long base = off[0];
        if (intSum) {
            long long acc = 0;
            for (long long k = 0; k < n; k++) acc += load_i(x, xt, base + k * sk);
            store_i(out, ot, off[1], acc);
            continue;
        }
        double m = 0;
        if (op == L4J_REDUCE_LOGSUMEXP) {
            Acc mx = identity(L4J_REDUCE_MAX);
            for (long long k = 0; k < n; k++) mx = combine(L4J_REDUCE_MAX, mx, Acc{load_d(x, xt, base + k * sk), 0});
            m = mx.v;
        }
        Acc a = identity(op);
        for (long long k = 0; k < n; k++) {
            double v = load_d(x, xt, base + k * sk);
            if (op == L4J_REDUCE_LOGSUMEXP) v = isinf(m) ? 0 : exp(v - m);
            a = combine(op, a, Acc{v, k});
        }
        write_result(op, out, ot, off[1], a, m);
    }
}
