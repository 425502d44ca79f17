// Softmax / log-softmax forward and backward over the last dim of contiguous F32 rows.
//
// Memory traffic (minimum, what the GB/s figure counts): forward reads x once and writes y once
// (8 B/element); backward reads y, gy and writes gx (12 B/element). The row is cached in dynamic
// shared memory when it fits (n·4 B ≤ the smem limit the launcher sets), so the second pass is
// served on-chip; otherwise the re-read hits L2. Launch shape: one block per row (grid-stride
// over rows), blockDim 128..1024 chosen by the launcher from n, smem = cache + 32 floats. Rows with
// n % 4 == 0 and 16-byte alignment take the register-resident float4 kernels (softmax_*_vec below).
#include "rows.cuh"

extern "C" __global__ void l4j_softmax_fwd(const float* x, float* y, long long rows, int n, int log_, int cache) {
    extern __shared__ float sm[];
    float* red = sm;
    float* c = cache ? sm + 32 : nullptr;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        float m = -INFINITY;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = xr[i];
            if (c) c[i] = v;
            m = fmaxf(m, v);
        }
        m = block_max(m, red);
        if (m == -INFINITY) m = 0;  // all −inf row → NaN via 0/0, like the CPU and PyTorch
        float s = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) s += expf(row_at(xr, c, i) - m);
        s = block_sum(s, red);
        if (log_) {
            float shift = m + logf(s);
            for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = row_at(xr, c, i) - shift;
        } else {
            float inv = 1.f / s;
            for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = expf(row_at(xr, c, i) - m) * inv;
        }
    }
}

// log: gx = gy − exp(y)·Σgy;  else: gx = y·(gy − Σ y·gy).
extern "C" __global__ void l4j_softmax_bwd(const float* y, const float* gy, float* gx, long long rows, int n, int log_) {
    extern __shared__ float sm[];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* yr = y + r * n;
        const float* gr = gy + r * n;
        float* xr = gx + r * n;
        float s = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) s += log_ ? gr[i] : yr[i] * gr[i];
        s = block_sum(s, sm);
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            xr[i] = log_ ? gr[i] - expf(yr[i]) * s : yr[i] * (gr[i] - s);
        }
    }
}

// ---- Fast path (rows.cuh: register-resident rows, float4, one DRAM pass) -------------------------
// Forward 8 B/element, backward 12 B/element. Launch: T threads, grid-stride over rows (the
// launcher gives one row per block). No L2 prefetch of the next row: it cost 15–20% on the H100
// (bench/GPU-BENCHMARKS.md, the persistent-grid variant that was removed).
template <int T, int V>
__device__ __forceinline__ void softmax_fwd_vec(const float* __restrict__ x, float* __restrict__ y, long long rows, int n,
                                                int log_) {
    __shared__ float red[32];
    const int n4 = n >> 2;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        float4 v[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            v[k] = i < n4 ? ld4(xr, i) : f4(-INFINITY);
        }
        float m = -INFINITY;
#pragma unroll
        for (int k = 0; k < V; k++) m = fmaxf(m, fmaxf(fmaxf(v[k].x, v[k].y), fmaxf(v[k].z, v[k].w)));
        m = tblock_max<T>(m, red);
        if (m == -INFINITY) m = 0;  // all −inf row → NaN via 0/0, like the CPU and PyTorch
        float s = 0;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) {
                float4 e = make_float4(expf(v[k].x - m), expf(v[k].y - m), expf(v[k].z - m), expf(v[k].w - m));
                s += sum4(e);
                if (!log_) v[k] = e;
            }
        }
        s = tblock_sum<T>(s, red);
        if (log_) {
            float shift = m + logf(s);
#pragma unroll
            for (int k = 0; k < V; k++) {
                int i = threadIdx.x + k * T;
                if (i < n4) st4(yr, i, make_float4(v[k].x - shift, v[k].y - shift, v[k].z - shift, v[k].w - shift));
            }
        } else {
            float inv = 1.f / s;
#pragma unroll
            for (int k = 0; k < V; k++) {
                int i = threadIdx.x + k * T;
                if (i < n4) st4(yr, i, scale4(v[k], inv));
            }
        }
    }
}

template <int T, int V>
__device__ __forceinline__ void softmax_bwd_vec(const float* __restrict__ y, const float* __restrict__ gy,
                                                float* __restrict__ gx, long long rows, int n, int log_) {
    __shared__ float red[32];
    const int n4 = n >> 2;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* yr = y + r * n;
        const float* gr = gy + r * n;
        float4 yv[V], gv[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            yv[k] = i < n4 ? ld4(yr, i) : f4(0.f);
            gv[k] = i < n4 ? ld4(gr, i) : f4(0.f);
        }
        float s = 0;
#pragma unroll
        for (int k = 0; k < V; k++) s += log_ ? sum4(gv[k]) : dot4(yv[k], gv[k]);
        s = tblock_sum<T>(s, red);
        float* xr = gx + r * n;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) {
                float4 a = yv[k], g = gv[k], o;
                if (log_) o = make_float4(g.x - expf(a.x) * s, g.y - expf(a.y) * s, g.z - expf(a.z) * s, g.w - expf(a.w) * s);
                else o = make_float4(a.x * (g.x - s), a.y * (g.y - s), a.z * (g.z - s), a.w * (g.w - s));
                st4(xr, i, o);
            }
        }
    }
}

#define L4J_SOFTMAX_VEC(T, V)                                                                                  \
    extern "C" __global__ void __launch_bounds__(T, 1536 / T) l4j_softmax_fwd_v##T(const float* x, float* y, long long rows, \
                                                                         int n, int log_) {                    \
        softmax_fwd_vec<T, V>(x, y, rows, n, log_);                                                            \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(T, 1024 / T) l4j_softmax_bwd_v##T(const float* y, const float* gy, float* gx, \
                                                                         long long rows, int n, int log_) {    \
        softmax_bwd_vec<T, V>(y, gy, gx, rows, n, log_);                                                       \
    }
L4J_ROW_CONFIGS(L4J_SOFTMAX_VEC)
#undef L4J_SOFTMAX_VEC
