// Cross-entropy with z-loss over a huge vocabulary, forward and backward, chunk by chunk.
//
// loss_r = lse_r − logit[r, t_r] + z·lse_r²  (rows with t_r == ignore contribute 0).
// A target outside [0, V) that is not the ignore index makes loss_r NaN and the row's gradient
// NaN: the kernels cannot throw, and the host must not sync to check, so the error shows up as a
// NaN mean loss instead (the CPU backend throws IllegalArgumentException naming the id and row).
// The forward makes ONE pass over the logits with an online (running max, rescaled sum)
// logsumexp, so the vocabulary is streamed in blockDim-sized chunks and no softmax is ever
// materialised. The backward writes dlogits = g_r·(p·(1 + 2z·lse) − onehot(t)) and may write it
// in place over the logits (grad == logits), so logits are never held twice.
// Memory traffic: forward reads rows·V logits once (2 or 4 B each) + 8 B/row written;
// backward reads the logits once and writes the gradient once.
// Launch shape: one block per row (grid-stride over rows), 256..1024 threads.
#include "common.cuh"

__device__ __forceinline__ void online_merge(float& m, float& s, float m2, float s2) {
    float mm = fmaxf(m, m2);
    if (mm == -INFINITY) return;
    s = s * __expf(m - mm) + s2 * __expf(m2 - mm);
    m = mm;
}

extern "C" __global__ void l4j_xent_fwd(const void* logits, int lt, long long rows, long long V, const void* tgt, int tt,
                                        long long ignore, float z, float* loss, float* lse) {
    __shared__ float shm[32], shs[32];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        long long base = r * V;
        float m = -INFINITY, s = 0;
        for (long long j = threadIdx.x; j < V; j += blockDim.x) {
            float v = load_f(logits, lt, base + j);
            if (v > m) { s = s * __expf(m - v) + 1.f; m = v; }
            else s += __expf(v - m);
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
            online_merge(m, s, m2, s2);
        }
        int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
        if (lane == 0) { shm[w] = m; shs[w] = s; }
        __syncthreads();
        if (threadIdx.x == 0) {
            float M = -INFINITY, S = 0;
            for (int k = 0; k < nw; k++) online_merge(M, S, shm[k], shs[k]);
            float L = M + logf(S);
            long long t = load_i(tgt, tt, r);
            lse[r] = L;
            loss[r] = t == ignore ? 0.f : (t < 0 || t >= V) ? __int_as_float(0x7fc00000) : L - load_f(logits, lt, base + t) + z * L * L;
        }
        __syncthreads();
    }
}

// grad may alias logits. gscale: per-row upstream gradient (g_r = gloss[r]), or a scalar when gstride == 0.
extern "C" __global__ void l4j_xent_bwd(const void* logits, int lt, long long rows, long long V, const void* tgt, int tt,
                                        long long ignore, float z, const float* lse, const float* gloss,
                                        long long gstride, void* grad, int gt) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        long long base = r * V;
        long long t = load_i(tgt, tt, r);
        bool ign = t == ignore;
        // an out-of-range target: NaN over the whole row (scale NaN), no onehot term
        float g = ign ? 0.f : (t < 0 || t >= V) ? __int_as_float(0x7fc00000) : gloss[r * gstride];
        float L = lse[r];
        float scale = 1.f + 2.f * z * L;
        for (long long j = threadIdx.x; j < V; j += blockDim.x) {
            float p = __expf(load_f(logits, lt, base + j) - L);
            store_d(grad, gt, base + j, g * (p * scale - (j == t ? 1.f : 0.f)));
        }
    }
}
