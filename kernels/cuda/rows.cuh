// Row helpers for the fused per-row kernels (softmax, norms, cross-entropy): one block per row,
// the row optionally cached in dynamic shared memory so second passes do not touch DRAM.
#pragma once
#include "common.cuh"

// Loads row element i, from the shared-memory copy when the row fits there.
__device__ __forceinline__ float row_at(const float* g, const float* cache, int i) { return cache ? cache[i] : g[i]; }

// ---- Register-resident row kernels (the fast path) --------------------------------------------
// Used when n % 4 == 0, every row pointer is 16-byte aligned and n/4 ≤ T·V: thread t of a T-thread
// block holds float4 elements t, t+T, …, t+(V-1)·T of the row in registers, so each row crosses
// global memory once for reads and once for writes (16-byte loads/stores, coalesced per warp).
// Configurations (Java picks by n/4, CudaRowOps.vecThreads): T=128,V=2 (n ≤ 1024),
// T=256,V=4 (n ≤ 4096), T=512,V=4 (n ≤ 8192), T=1024,V=4 (n ≤ 16384).
#define L4J_ROW_CONFIGS(X) X(128, 2) X(256, 4) X(512, 4) X(1024, 4)

__device__ __forceinline__ float4 ld4(const float* p, int i) { return __ldg(reinterpret_cast<const float4*>(p) + i); }
__device__ __forceinline__ void st4(float* p, int i, float4 v) { reinterpret_cast<float4*>(p)[i] = v; }
__device__ __forceinline__ float4 f4(float a) { return make_float4(a, a, a, a); }
__device__ __forceinline__ float dot4(float4 a, float4 b) { return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w; }
__device__ __forceinline__ float sum4(float4 a) { return (a.x + a.y) + (a.z + a.w); }
__device__ __forceinline__ float4 mul4(float4 a, float4 b) { return make_float4(a.x * b.x, a.y * b.y, a.z * b.z, a.w * b.w); }
__device__ __forceinline__ float4 scale4(float4 a, float s) { return make_float4(a.x * s, a.y * s, a.z * s, a.w * s); }

// Four weight elements 4i..4i+3: one 16-byte load when wvec (F32, stride 1, aligned), else decoded
// out of line (keeps the dtype switch from inflating the register count of the fast path).
__device__ __noinline__ float4 wload4_slow(const void* w, int wt, long long ws, int i) {
    long long j = 4LL * i;
    return make_float4(load_f(w, wt, j * ws), load_f(w, wt, (j + 1) * ws), load_f(w, wt, (j + 2) * ws),
                       load_f(w, wt, (j + 3) * ws));
}
__device__ __forceinline__ float4 wload4(const void* w, int wt, long long ws, int wvec, int i) {
    return wvec ? __ldg(reinterpret_cast<const float4*>(w) + i) : wload4_slow(w, wt, ws, i);
}

// Block-wide sum/max for a compile-time block size T (red: ≥ 32 floats of shared memory).
template <int T>
__device__ __forceinline__ float tblock_sum(float v, float* red) {
    v = warp_sum(v);
    if (T == 32) return v;
    __syncthreads();  // red may still be read by a previous call
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = (threadIdx.x & 31) < T / 32 ? red[threadIdx.x & 31] : 0.f;
    return warp_sum(v);
}
template <int T>
__device__ __forceinline__ float tblock_max(float v, float* red) {
    v = warp_max(v);
    if (T == 32) return v;
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = (threadIdx.x & 31) < T / 32 ? red[threadIdx.x & 31] : -INFINITY;
    return warp_max(v);
}
