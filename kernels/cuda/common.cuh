// Shared device helpers for every liquid4j kernel family.
//
// Every code the Java side passes (dtypes, op kinds) and the Dims limits come from codes.cuh, which
// is generated from the Java enums: switch on its names (L4J_DT_F32, ...), never on numbers.
// Kernels receive base pointers already advanced by the view's offset, so they never see offsets.
// Strided kernels receive a Dims struct by value (≤ 8 dims, ≤ 4 operands): the Java side merges
// dims that are contiguous for every operand first, so the common case is ndim == 1.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "codes.cuh"

// All fields 64-bit so the Java side can write the struct without caring about C padding rules.
struct Dims {
    long long numel;
    long long ndim;
    long long shape[L4J_MAX_DIMS];
    long long stride[L4J_MAX_OPS][L4J_MAX_DIMS];  // element strides per operand (0 = broadcast)
};

// Element offsets of linear element i for operands 0..nops-1 (row-major over shape).
template <int NOPS>
__device__ __forceinline__ void offsets(const Dims& d, long long i, long long (&off)[NOPS]) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] = 0;
    for (int dim = (int)d.ndim - 1; dim >= 0; dim--) {
        long long s = d.shape[dim];
        long long c = i % s;
        i /= s;
#pragma unroll
        for (int k = 0; k < NOPS; k++) off[k] += c * d.stride[k][dim];
    }
}

// bf16 rounding identical to DType.floatToBf16 (round to nearest even, NaN stays quiet NaN).
__device__ __forceinline__ unsigned short f32_to_bf16_bits(float f) {
    unsigned int x = __float_as_uint(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (unsigned short)((x >> 16) | 0x0040u);
    unsigned int lsb = (x >> 16) & 1u;
    return (unsigned short)((x + 0x7FFFu + lsb) >> 16);
}
__device__ __forceinline__ float bf16_bits_to_f32(unsigned short b) { return __uint_as_float(((unsigned int)b) << 16); }

__device__ __forceinline__ double load_d(const void* p, int dt, long long i) {
    switch (dt) {
        case L4J_DT_F32: return ((const float*)p)[i];
        case L4J_DT_BF16: return bf16_bits_to_f32(((const unsigned short*)p)[i]);
        case L4J_DT_F16: return __half2float(((const __half*)p)[i]);
        case L4J_DT_I32: return ((const int*)p)[i];
        case L4J_DT_I64: return (double)((const long long*)p)[i];
        case L4J_DT_U8: default: return ((const unsigned char*)p)[i];
    }
}
__device__ __forceinline__ float load_f(const void* p, int dt, long long i) {
    switch (dt) {
        case L4J_DT_F32: return ((const float*)p)[i];
        case L4J_DT_BF16: return bf16_bits_to_f32(((const unsigned short*)p)[i]);
        case L4J_DT_F16: return __half2float(((const __half*)p)[i]);
        case L4J_DT_I32: return (float)((const int*)p)[i];
        case L4J_DT_I64: return (float)((const long long*)p)[i];
        case L4J_DT_U8: default: return ((const unsigned char*)p)[i];
    }
}
__device__ __forceinline__ long long load_i(const void* p, int dt, long long i) {
    switch (dt) {
        case L4J_DT_I32: return ((const int*)p)[i];
        case L4J_DT_I64: return ((const long long*)p)[i];
        case L4J_DT_U8: return ((const unsigned char*)p)[i];
        default: return (long long)load_d(p, dt, i);
    }
}
// Float stores go through f32 first, exactly like the CPU's Access.put ((float) v then convert).
// Integer stores truncate toward zero like Java's (int)/(long) casts (NaN → 0, saturating).
__device__ __forceinline__ long long java_d2l(double v) {
    if (v != v) return 0;
    if (v >= 9.2233720368547758e18) return 0x7FFFFFFFFFFFFFFFLL;
    if (v <= -9.2233720368547758e18) return (long long)0x8000000000000000ULL;
    return (long long)v;
}
__device__ __forceinline__ int java_d2i(double v) {
    if (v != v) return 0;
    if (v >= 2147483647.0) return 2147483647;
    if (v <= -2147483648.0) return (int)0x80000000u;
    return (int)v;
}
__device__ __forceinline__ void store_d(void* p, int dt, long long i, double v) {
    switch (dt) {
        case L4J_DT_F32: ((float*)p)[i] = (float)v; break;
        case L4J_DT_BF16: ((unsigned short*)p)[i] = f32_to_bf16_bits((float)v); break;
        case L4J_DT_F16: ((__half*)p)[i] = __float2half_rn((float)v); break;
        case L4J_DT_I32: ((int*)p)[i] = java_d2i(v); break;
        case L4J_DT_I64: ((long long*)p)[i] = java_d2l(v); break;
        case L4J_DT_U8: default: ((unsigned char*)p)[i] = (unsigned char)java_d2i(v); break;
    }
}
__device__ __forceinline__ void store_i(void* p, int dt, long long i, long long v) {
    switch (dt) {
        case L4J_DT_I32: ((int*)p)[i] = (int)v; break;
        case L4J_DT_I64: ((long long*)p)[i] = v; break;
        case L4J_DT_U8: ((unsigned char*)p)[i] = (unsigned char)v; break;
        default: store_d(p, dt, i, (double)v); break;
    }
}
// By name, not by range: the dtype order is the Java enum's and may change.
__device__ __forceinline__ bool is_float_dt(int dt) { return dt == L4J_DT_F32 || dt == L4J_DT_BF16 || dt == L4J_DT_F16; }

// Grid-stride loop over n elements; launch with ≤ 65535·k blocks, any n.
#define GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

// Block-wide sum/max of one float per thread (blockDim a multiple of 32, ≤ 1024).
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float block_sum(float v, float* sh) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // sh may still be read by a previous call
    if (lane == 0) sh[w] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : 0.f;
    return warp_sum(v);
}
__device__ __forceinline__ float block_max(float v, float* sh) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : -INFINITY;
    return warp_max(v);
}
