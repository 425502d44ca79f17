// Quantized Linear weights (F.linear(x, QuantizedWeight) → CudaBackend.matmulQuantized): Q8_0 and
// Q4_0 blocks of 32 weights with one F16 scale, stored planar (codes U8 [n, k·bits/8], scales
// F16 [n, k/32]; see tensor/QuantFormat).
//   l4j_qgemv    decode-sized x (m ≤ 8 rows): one warp per output row of W, lanes over blocks,
//                codes decoded in registers; the W row is read once for all m x rows.
//   l4j_dequant  W → F32 [n, k] for larger x, which then takes the cuBLASLt GEMM.
#include "common.cuh"

#define L4J_QBLOCK 32
#define L4J_QMAX_M 8

// Σ_i x[i]·w[i] over one block: Q8_0 codes are signed bytes; Q4_0 byte j holds element j (low
// nibble) and j + 16 (high nibble), value q − 8.
__device__ __forceinline__ float qblock_dot(const unsigned char* c, int q4, const float* x) {
    float s = 0.f;
    if (!q4) {
#pragma unroll
        for (int j = 0; j < L4J_QBLOCK; j += 4) {
            int w = *(const int*)(c + j);
            s += x[j] * (float)(signed char)(w & 0xff) + x[j + 1] * (float)(signed char)((w >> 8) & 0xff)
               + x[j + 2] * (float)(signed char)((w >> 16) & 0xff) + x[j + 3] * (float)(signed char)((w >> 24) & 0xff);
        }
    } else {
#pragma unroll
        for (int j = 0; j < 16; j += 4) {
            unsigned w = *(const unsigned*)(c + j);
#pragma unroll
            for (int t = 0; t < 4; t++) {
                unsigned byte = (w >> (8 * t)) & 0xffu;
                s += x[j + t] * (float)((int)(byte & 0xfu) - 8) + x[16 + j + t] * (float)((int)(byte >> 4) - 8);
            }
        }
    }
    return s;
}

// out[i, r] = x[i, :]·W[r, :] for i < m ≤ 8; x F32 [m, k] contiguous, out F32 [m, n] contiguous.
// Blocks of 4 warps, one warp per W row.
extern "C" __global__ void l4j_qgemv(const float* x, const unsigned char* codes, const __half* scales, float* out,
                                     int m, long long n, int k, int q4) {
    long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= n) return;
    int blocks = k / L4J_QBLOCK, bytes = q4 ? 16 : 32;
    const unsigned char* c = codes + row * (long long)blocks * bytes;
    const __half* s = scales + row * (long long)blocks;
    float acc[L4J_QMAX_M];
#pragma unroll
    for (int i = 0; i < L4J_QMAX_M; i++) acc[i] = 0.f;
    for (int b = lane; b < blocks; b += 32) {
        float d = __half2float(s[b]);
#pragma unroll
        for (int i = 0; i < L4J_QMAX_M; i++) {
            if (i < m) acc[i] += d * qblock_dot(c + (long long)b * bytes, q4, x + (long long)i * k + b * L4J_QBLOCK);
        }
    }
#pragma unroll
    for (int i = 0; i < L4J_QMAX_M; i++) {
        if (i < m) {
            float v = warp_sum(acc[i]);
            if (lane == 0) out[(long long)i * n + row] = v;
        }
    }
}

// W F32 [n, k] from its codes and scales: one thread per element.
extern "C" __global__ void l4j_dequant(const unsigned char* codes, const __half* scales, float* w, long long n, int k, int q4) {
    long long total = n * (long long)k;
    int blocks = k / L4J_QBLOCK, bytes = q4 ? 16 : 32;
    GRID_STRIDE(e, total) {
        long long row = e / k;
        int col = (int)(e % k), b = col / L4J_QBLOCK, j = col % L4J_QBLOCK;
        const unsigned char* c = codes + (row * blocks + b) * bytes;
        int q = q4 ? (j < 16 ? (int)(c[j] & 0xf) - 8 : (int)(c[j - 16] >> 4) - 8) : (int)(signed char)c[j];
        w[e] = __half2float(scales[row * blocks + b]) * (float)q;
    }
}
