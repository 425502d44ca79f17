// Softmax / log-softmax forward and backward over the last dim of contiguous F32 rows.
//
// Memory traffic (minimum, what the GB/s figure counts): forward reads x once and writes y once
// (8 B/element); backward reads y, gy and writes gx (12 B/element). The row is cached in dynamic
// shared memory when it fits (n·4 B ≤ the smem limit the launcher sets), so the second pass is
// served on-chip; otherwise the re-read hits L2. Launch shape: one block per row (grid-stride
// over rows), blockDim 128..1024 chosen by the launcher from n, smem = cache + 32 floats.
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
