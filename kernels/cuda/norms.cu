// RMSNorm and LayerNorm, forward and backward, over the last dim of contiguous F32 rows.
// The weight/bias vectors may have any floating dtype and stride (decoded on the fly).
//
// Memory traffic: forward reads x and writes out (8 B/element) plus 4 B/row of saved stats;
// backward reads x, gy and writes gx (12 B/element). Weight gradients: each block accumulates
// its rows' contributions into its own row of a [blocks, n] f32 scratch (no atomics, so the
// result is deterministic), and l4j_col_sum_add folds the scratch into gw/gb (blocks·n·4 B).
// Launch shape: one block per row (grid-stride over rows; backward uses a fixed grid of about
// two blocks per SM), blockDim 128..1024 chosen from n; forward caches the row in shared memory
// when it fits.
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
