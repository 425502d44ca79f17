// Indexing: gather, scatter_add, index_select (also the embedding lookup), index_add.
//
// Every index is range-checked: a bad one is skipped and reported through err (first bad value
// wins: err[0] = 1, err[1] = value), which the Java side reads back and turns into an exception,
// so a bad token id never reads or writes foreign memory silently.
// Memory traffic: one read of each index, one read of the source element and one write (or one
// atomic read-modify-write for the *_add kernels) of the destination element.
// Launch shape: 1-D grid-stride over the elements of idx (gather/scatter_add), out
// (index_select) or src (index_add), 256 threads per block.
#include "common.cuh"

__device__ __forceinline__ bool checked(long long k, long long bound, unsigned long long* err) {
    if (k >= 0 && k < bound) return true;
    if (atomicCAS(err, 0ULL, 1ULL) == 0ULL) err[1] = (unsigned long long)k;
    return false;
}

// Offsets of linear element i for 3 operands plus its coordinate along dim.
__device__ __forceinline__ long long offsets_dim(const Dims& d, long long i, int dim, long long (&off)[3]) {
    off[0] = off[1] = off[2] = 0;
    long long cd = 0;
    for (int k = (int)d.ndim - 1; k >= 0; k--) {
        long long s = d.shape[k];
        long long c = i % s;
        i /= s;
        if (k == dim) cd = c;
        off[0] += c * d.stride[0][k];
        off[1] += c * d.stride[1][k];
        off[2] += c * d.stride[2][k];
    }
    return cd;
}

__device__ __forceinline__ void copy_elem(const void* src, int st, long long si, void* dst, int dt, long long di) {
    if (st == dt) {
        switch (st) {
            case L4J_DT_F32: case L4J_DT_I32: ((int*)dst)[di] = ((const int*)src)[si]; return;
            case L4J_DT_BF16: case L4J_DT_F16: ((short*)dst)[di] = ((const short*)src)[si]; return;
            case L4J_DT_I64: ((long long*)dst)[di] = ((const long long*)src)[si]; return;
            case L4J_DT_U8: default: ((char*)dst)[di] = ((const char*)src)[si]; return;
        }
    }
    if (!is_float_dt(st) && !is_float_dt(dt)) store_i(dst, dt, di, load_i(src, st, si));
    else store_d(dst, dt, di, load_d(src, st, si));
}

// Atomic dst[i] += v for the dtypes gradients and counters use.
__device__ __forceinline__ void atomic_add_elem(void* dst, int dt, long long i, double v) {
    switch (dt) {
        case L4J_DT_F32: atomicAdd((float*)dst + i, (float)v); break;
        case L4J_DT_BF16: atomicAdd((__nv_bfloat16*)dst + i, __float2bfloat16_rn((float)v)); break;
        case L4J_DT_F16: atomicAdd((__half*)dst + i, __float2half_rn((float)v)); break;
        case L4J_DT_I32: atomicAdd((int*)dst + i, (int)v); break;
        case L4J_DT_I64: atomicAdd((unsigned long long*)dst + i, (unsigned long long)(long long)v); break;
        case L4J_DT_U8: default: break;  // U8 accumulation is rejected on the Java side
    }
}

// Dims over idx's shape: stride[0] = idx, [1] = out, [2] = x. xsd = x's stride along dim.
extern "C" __global__ void l4j_gather(Dims d, int dim, const void* x, int xt, long long xsd, long long bound,
                                      const void* idx, int it, void* out, int ot, unsigned long long* err) {
    GRID_STRIDE(i, d.numel) {
        long long off[3];
        long long c = offsets_dim(d, i, dim, off);
        long long k = load_i(idx, it, off[0]);
        if (!checked(k, bound, err)) continue;
        copy_elem(x, xt, off[2] + (k - c) * xsd, out, ot, off[1]);
    }
}

// Dims over idx's shape: stride[0] = idx, [1] = src, [2] = dst. dsd = dst's stride along dim.
extern "C" __global__ void l4j_scatter_add(Dims d, int dim, void* dst, int dt, long long dsd, long long bound,
                                           const void* idx, int it, const void* src, int st, unsigned long long* err) {
    GRID_STRIDE(i, d.numel) {
        long long off[3];
        long long c = offsets_dim(d, i, dim, off);
        long long k = load_i(idx, it, off[0]);
        if (!checked(k, bound, err)) continue;
        atomic_add_elem(dst, dt, off[2] + (k - c) * dsd, load_d(src, st, off[1]));
    }
}

// Dims over out's shape: stride[0] = out, [1] = x. idx is 1-D with stride is.
extern "C" __global__ void l4j_index_select(Dims d, int dim, const void* x, int xt, long long xsd, long long bound,
                                            const void* idx, int it, long long is, void* out, int ot,
                                            unsigned long long* err) {
    GRID_STRIDE(i, d.numel) {
        long long off[3];
        long long c = offsets_dim(d, i, dim, off);
        long long k = load_i(idx, it, c * is);
        if (!checked(k, bound, err)) continue;
        copy_elem(x, xt, off[1] + (k - c) * xsd, out, ot, off[0]);
    }
}

// Embedding fast path: contiguous rows of `row` elements, same dtype; one block-stride loop per
// output row, copying 4-byte words when the row allows. Traffic: k·row·w read + written.
extern "C" __global__ void l4j_embedding(const void* table, long long rows, long long rowBytes, const void* idx, int it,
                                         long long k, void* out, unsigned long long* err) {
    for (long long r = blockIdx.x; r < k; r += gridDim.x) {
        long long t = load_i(idx, it, r);
        if (!checked(t, rows, err)) continue;
        const char* s = (const char*)table + t * rowBytes;
        char* o = (char*)out + r * rowBytes;
        if ((rowBytes & 3) == 0) {
            for (long long j = threadIdx.x; j < rowBytes / 4; j += blockDim.x) ((int*)o)[j] = ((const int*)s)[j];
        } else {
            for (long long j = threadIdx.x; j < rowBytes; j += blockDim.x) o[j] = s[j];
        }
    }
}

// Dims over src's shape: stride[0] = src, [1] = dst. dst[.., idx[c], ..] += src[.., c, ..].
extern "C" __global__ void l4j_index_add(Dims d, int dim, void* dst, int dt, long long dsd, long long bound,
                                         const void* idx, int it, long long is, const void* src, int st,
                                         unsigned long long* err) {
    GRID_STRIDE(i, d.numel) {
        long long off[3];
        long long c = offsets_dim(d, i, dim, off);
        long long k = load_i(idx, it, c * is);
        if (!checked(k, bound, err)) continue;
        atomic_add_elem(dst, dt, off[1] + (k - c) * dsd, load_d(src, st, off[0]));
    }
}
