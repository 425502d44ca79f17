// RMSNorm and LayerNorm, forward and backward, over the last dim of contiguous F32 rows.
// The weight/bias vectors may have any floating dtype and stride (decoded on the fly).
//
// Memory traffic: forward reads x and writes out (8 B/element) plus 4 B/row of saved stats;
// backward reads x, gy and writes gx (12 B/element). Weight gradients: each block accumulates
// its rows' contributions into its own row of a [blocks, n] f32 scratch (no atomics, so the
// result is deterministic), and l4j_col_sum_add folds the scratch into gw/gb (blocks·n·4 B).
// Launch shape (scalar kernels): one block per row (grid-stride over rows; backward uses a fixed
// grid of about two blocks per SM), blockDim 128..1024 chosen from n; forward caches the row in
// shared memory when it fits. RMSNorm also has register-resident float4 kernels (rmsnorm_*_vec
// below) for n % 4 == 0 and aligned rows, which CudaRowOps prefers.
#include "rows.cuh"

extern "C" __global__ void l4j_rmsnorm_fwd(const float* x, const void* w, int wt, long long ws, float eps,
                                           float* out, float* rstd, long long rows, int n, int cache) {
    extern __shared__ float sm[];
    float* c = cache ? sm + 32 : nullptr;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* orow = out + r * n;
        float ss = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = xr[i];
            if (c) c[i] = v;
            ss += v * v;
        }
        ss = block_sum(ss, sm);
        float inv = rsqrtf(ss / n + eps);
        if (threadIdx.x == 0) rstd[r] = inv;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = row_at(xr, c, i) * inv;
            orow[i] = w ? v * load_f(w, wt, i * ws) : v;
        }
    }
}

// gx = rstd·(g − x·c), g = gy·w, c = rstd²·Σ(g·x)/n;  gwPart[block][i] += gy·x·rstd.
extern "C" __global__ void l4j_rmsnorm_bwd(const float* x, const void* w, int wt, long long ws, const float* rstd,
                                           const float* gy, float* gx, float* gwPart, long long rows, int n) {
    extern __shared__ float sm[];
    float* part = gwPart ? gwPart + (long long)blockIdx.x * n : nullptr;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        const float* gr = gy + r * n;
        float* o = gx + r * n;
        float inv = rstd[r];
        float dot = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float g = w ? gr[i] * load_f(w, wt, i * ws) : gr[i];
            dot += g * xr[i];
        }
        dot = block_sum(dot, sm);
        float cc = inv * inv * dot / n;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float xv = xr[i], gv = gr[i];
            float g = w ? gv * load_f(w, wt, i * ws) : gv;
            o[i] = inv * (g - xv * cc);
            if (part) part[i] += gv * xv * inv;
        }
    }
}

extern "C" __global__ void l4j_layernorm_fwd(const float* x, const void* w, int wt, long long ws, const void* b, int bt,
                                             long long bs, float eps, float* out, float* mean, float* rstd,
                                             long long rows, int n, int cache) {
    extern __shared__ float sm[];
    float* c = cache ? sm + 32 : nullptr;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* orow = out + r * n;
        float s = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = xr[i];
            if (c) c[i] = v;
            s += v;
        }
        float mu = block_sum(s, sm) / n;
        float var = 0;  // two-pass variance, as the CPU computes it
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float dv = row_at(xr, c, i) - mu;
            var += dv * dv;
        }
        var = block_sum(var, sm);
        float inv = rsqrtf(var / n + eps);
        if (threadIdx.x == 0) { mean[r] = mu; rstd[r] = inv; }
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = (row_at(xr, c, i) - mu) * inv;
            if (w) v *= load_f(w, wt, i * ws);
            if (b) v += load_f(b, bt, i * bs);
            orow[i] = v;
        }
    }
}

// xhat = (x − μ)·rstd, gh = gy·w; gx = rstd·(gh − mean(gh) − xhat·mean(gh·xhat)); gw += gy·xhat; gb += gy.
extern "C" __global__ void l4j_layernorm_bwd(const float* x, const void* w, int wt, long long ws, const float* mean,
                                             const float* rstd, const float* gy, float* gx, float* gwPart,
                                             float* gbPart, long long rows, int n) {
    extern __shared__ float sm[];
    float* pw = gwPart ? gwPart + (long long)blockIdx.x * n : nullptr;
    float* pb = gbPart ? gbPart + (long long)blockIdx.x * n : nullptr;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        const float* gr = gy + r * n;
        float* o = gx + r * n;
        float mu = mean[r], inv = rstd[r];
        float sg = 0, sgx = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float xh = (xr[i] - mu) * inv;
            float gh = w ? gr[i] * load_f(w, wt, i * ws) : gr[i];
            sg += gh;
            sgx += gh * xh;
        }
        sg = block_sum(sg, sm) / n;
        sgx = block_sum(sgx, sm) / n;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float gv = gr[i];
            float xh = (xr[i] - mu) * inv;
            float gh = w ? gv * load_f(w, wt, i * ws) : gv;
            o[i] = inv * (gh - sg - xh * sgx);
            if (pw) pw[i] += gv * xh;
            if (pb) pb[i] += gv;
        }
    }
}

// dst[i·ds] += Σ_b part[b][i] (dst any floating dtype). Traffic: reads blocks·n·4 B, one RMW of dst.
// Launch: 1-D grid-stride over i, 256 threads; the sum over b is serial per thread (coalesced in i).
extern "C" __global__ void l4j_col_sum_add(const float* part, int blocks, int n, void* dst, int dt, long long ds) {
    GRID_STRIDE(i, (long long)n) {
        double s = 0;
        for (int b = 0; b < blocks; b++) s += part[(long long)b * n + i];
        store_d(dst, dt, i * ds, load_d(dst, dt, i * ds) + s);
    }
}

// ---- RMSNorm fast path (rows.cuh: register-resident rows, float4, one DRAM pass) -----------------
// Forward: 8 B/element + 4 B/row. Launch: T threads, grid-stride over rows (the launcher gives one
// row per block).
template <int T, int V>
__device__ __forceinline__ void rmsnorm_fwd_vec(const float* __restrict__ x, const void* w, int wt, long long ws, int wvec,
                                                float eps, float* __restrict__ out, float* __restrict__ rstd, long long rows,
                                                int n) {
    __shared__ float red[32];
    const int n4 = n >> 2;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        float* orow = out + r * n;
        float4 v[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            v[k] = i < n4 ? ld4(xr, i) : f4(0.f);
        }
        float ss = 0;
#pragma unroll
        for (int k = 0; k < V; k++) ss += dot4(v[k], v[k]);
        ss = tblock_sum<T>(ss, red);
        float inv = rsqrtf(ss / n + eps);
        if (threadIdx.x == 0) rstd[r] = inv;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) {
                float4 o = scale4(v[k], inv);
                if (w) o = mul4(o, wload4(w, wt, ws, wvec, i));
                st4(orow, i, o);
            }
        }
    }
}

// Backward: reads x, gy (+ rstd), writes gx: 12 B/element. Block b handles the fixed strided rows
// b, b+grid, … (the launcher picks the grid from the row count alone, so gw is deterministic);
// thread t owns the same columns in every row, so its gw partial accumulates in its own slots of
// dynamic shared memory (n·4 B, no barrier) and is written once per block: gwPart[block][n]
// (blocks·n·4 B). No L2 prefetch of the block's next row: measured 15–20% slower on the H100.
template <int T, int V>
__device__ __forceinline__ void rmsnorm_bwd_vec(const float* __restrict__ x, const void* w, int wt, long long ws, int wvec,
                                                const float* __restrict__ rstd, const float* __restrict__ gy,
                                                float* __restrict__ gx, float* __restrict__ gwPart, long long rows, int n) {
    __shared__ float red[32];
    extern __shared__ float4 acc[];  // n/4 float4 when gwPart
    const int n4 = n >> 2;
    if (gwPart) {
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) acc[i] = f4(0.f);
        }
    }
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * n;
        const float* gr = gy + r * n;
        float4 xv[V], gv[V];
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            xv[k] = i < n4 ? ld4(xr, i) : f4(0.f);
            gv[k] = i < n4 ? ld4(gr, i) : f4(0.f);
        }
        float inv = rstd[r];
        float dot = 0;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) {
                if (gwPart) {
                    float4 a = acc[i];
                    a.x += gv[k].x * xv[k].x * inv;
                    a.y += gv[k].y * xv[k].y * inv;
                    a.z += gv[k].z * xv[k].z * inv;
                    a.w += gv[k].w * xv[k].w * inv;
                    acc[i] = a;
                }
                if (w) gv[k] = mul4(gv[k], wload4(w, wt, ws, wvec, i));  // g = gy·w
                dot += dot4(gv[k], xv[k]);
            }
        }
        dot = tblock_sum<T>(dot, red);
        float cc = inv * inv * dot / n;
        float* o = gx + r * n;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) {
                float4 q = make_float4(inv * (gv[k].x - xv[k].x * cc), inv * (gv[k].y - xv[k].y * cc),
                                       inv * (gv[k].z - xv[k].z * cc), inv * (gv[k].w - xv[k].w * cc));
                st4(o, i, q);
            }
        }
    }
    if (gwPart) {
        float* part = gwPart + (long long)blockIdx.x * n;
#pragma unroll
        for (int k = 0; k < V; k++) {
            int i = threadIdx.x + k * T;
            if (i < n4) st4(part, i, acc[i]);
        }
    }
}

// Launch bounds: ≥ 1536/T resident forward blocks and ≥ 1024/T backward blocks per SM.
#define L4J_RMS_VEC(T, V)                                                                                              \
    extern "C" __global__ void __launch_bounds__(T, 1536 / T) l4j_rmsnorm_fwd_v##T(                                            \
        const float* x, const void* w, int wt, long long ws, int wvec, float eps, float* out, float* rstd, long long rows, \
        int n) {                                                                                                       \
        rmsnorm_fwd_vec<T, V>(x, w, wt, ws, wvec, eps, out, rstd, rows, n);                                            \
    }                                                                                                                  \
    extern "C" __global__ void __launch_bounds__(T, 1024 / T) l4j_rmsnorm_bwd_v##T(                                    \
        const float* x, const void* w, int wt, long long ws, int wvec, const float* rstd, const float* gy, float* gx,    \
        float* gwPart, long long rows, int n) {                                                                        \
        rmsnorm_bwd_vec<T, V>(x, w, wt, ws, wvec, rstd, gy, gx, gwPart, rows, n);                                      \
    }
L4J_ROW_CONFIGS(L4J_RMS_VEC)
#undef L4J_RMS_VEC

// dst[i·ds] += Σ_b part[b][i], summed in a fixed order (deterministic). Launch: ceil(n/32) blocks of
// 512 threads = 32 columns × 16 row groups; group y sums rows y, y+16, … in double, then the 16
// group sums are added in order. Traffic: reads blocks·n·4 B (mostly L2-resident), one RMW of dst.
extern "C" __global__ void __launch_bounds__(512) l4j_col_sum_add2(const float* part, int blocks, int n, void* dst, int dt,
                                                                   long long ds) {
    __shared__ double sh[16][33];
    int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
    long long i = (long long)blockIdx.x * 32 + tx;
    double s = 0;
    if (i < n) {
#pragma unroll 4
        for (int b = ty; b < blocks; b += 16) s += part[(long long)b * n + i];
    }
    sh[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && i < n) {
        double t = 0;
#pragma unroll
        for (int k = 0; k < 16; k++) t += sh[k][tx];
        store_d(dst, dt, i * ds, load_d(dst, dt, i * ds) + t);
    }
}
