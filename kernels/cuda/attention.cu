// Attention kernels (F.attention, Backend.attention / attentionBackward), every AttentionSpec feature:
// causal, sliding window, logit softcap, GQA (query head h reads KV head h / G, never repeated in
// memory), per-row valid key ranges (left padding), packed segment ids, KV-cache offset.
//
//   l4j_attn_fwd_mma_<D>_<bf16|f16>  flash attention forward on tensor cores (mma.sync m16n8k16,
//                                    F32 accumulation), D = 64 / 128 / 256; out F32 + lse.
//   l4j_attn_bwd_mma_<D>_<bf16|f16>  flash attention backward (dK, dV per KV tile in registers,
//                                    dQ by F32 atomics); l4j_attn_bwd_delta first (rowsum dO·O).
//   l4j_attn_fwd_split                any float dtype, any D, Dv ≤ 256: one warp per (query, key
//                                    split); with splits > 1 it writes partial (m, l, o) that
//                                    l4j_attn_combine merges: flash-decoding for one query over a
//                                    long KV cache, and the F32 / odd-shape path.
//
// The composed reference (tensor/AttentionReference) and the CPU kernel (cpu/CpuAttention) are the
// oracle; CudaAttentionParityTest holds these kernels to them. Softmax runs in the log2 domain
// (exp2 of pre-scaled scores); lse is stored as a natural log like the reference's.
#include "common.cuh"

// All fields 64-bit: the Java side (CudaAttention.args) writes them in this order as a long[].
struct AttnArgs {
    long long q, k, v, out, lse;      // q/k/v base pointers (view offsets applied); out, lse contiguous F32
    long long qsb, qsh, qsl;          // element strides of q: batch, head, row (last dim stride 1)
    long long ksb, ksh, ksl;
    long long vsb, vsh, vsl;
    long long batch, hq, hkv, lq, lk, dim, dimv;
    long long offset;                 // key slot of query 0
    long long causal, window;
    long long keyStart, keyEnd, seg;  // device int32 arrays [B], [B], [B·Lk], or 0
    long long scaleBits, softcapBits; // doubles as raw bits
    long long dtype;                  // q/k/v dtype (split kernel)
    long long splits, part;           // split kernel: key splits, partial buffer (F32 [rows][splits][Dv + 2])
    long long gout, gq, gk, gv, delta;// backward: gOut F32 [B,Hq,Lq,Dv], gq F32 (zeroed), gk/gv F32, delta F32 [B,Hq,Lq]
};

#define L4J_LOG2E 1.4426950408889634f
#define L4J_LN2 0.6931471805599453f

__device__ __forceinline__ const int* iptr(long long p) { return (const int*)p; }

// First visible key slot of row b for the query at slot p (before the segment test): AttentionSpec.keyLo.
__device__ __forceinline__ long long attn_key_lo(const AttnArgs& a, long long b, long long p) {
    long long lo = a.keyStart ? iptr(a.keyStart)[b] : 0;
    if (a.window > 0) lo = max(lo, p - a.window + 1);
    return max(lo, 0LL);
}
// One past the last visible key slot (before the segment test): AttentionSpec.keyHi.
__device__ __forceinline__ long long attn_key_hi(const AttnArgs& a, long long b, long long p) {
    long long hi = a.keyEnd ? min((long long)iptr(a.keyEnd)[b], a.lk) : a.lk;
    if (a.causal) hi = min(hi, p + 1);
    return hi;
}
__device__ __forceinline__ bool attn_visible(const AttnArgs& a, long long b, long long p, long long j) {
    if (j < attn_key_lo(a, b, p) || j >= attn_key_hi(a, b, p)) return false;
    return !a.seg || iptr(a.seg)[b * a.lk + j] == iptr(a.seg)[b * a.lk + p];
}
// Score → capped score: softcap·tanh(s/softcap) when softcap > 0.
__device__ __forceinline__ float attn_cap(float s, float softcap) { return softcap > 0.f ? softcap * tanhf(s / softcap) : s; }

// ---- tensor-core helpers (sm_80+) --------------------------------------------------------------
// mma.m16n8k16 fragments, g = lane / 4, t = lane % 4 (PTX ISA "Matrix Fragments for mma.m16n8k16"):
//   A 16×16 row-major: reg0 (row g, k 2t..2t+1), reg1 (row g+8, k 2t..), reg2 (row g, k 2t+8..), reg3 (row g+8, k 2t+8..)
//   B 16×8 (k × n):    reg0 (k 2t..2t+1, n g), reg1 (k 2t+8..2t+9, n g)
//   C 16×8 F32:        c0, c1 (row g, n 2t, 2t+1), c2, c3 (row g+8, n 2t, 2t+1)
// The lower 16 bits of a register hold the lower-index element.

template <bool BF16>
__device__ __forceinline__ void mma16816(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (BF16) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
#endif
}

template <bool BF16>
__device__ __forceinline__ float to_f32(unsigned short x) {
    if constexpr (BF16) return bf16_bits_to_f32(x);
    else return __half2float(__ushort_as_half(x));
}
template <bool BF16>
__device__ __forceinline__ unsigned short to16(float x) {
    if constexpr (BF16) return f32_to_bf16_bits(x);
    else return __half_as_ushort(__float2half_rn(x));
}
template <bool BF16>
__device__ __forceinline__ unsigned pack16(float lo, float hi) {
    return (unsigned)to16<BF16>(lo) | ((unsigned)to16<BF16>(hi) << 16);
}
__device__ __forceinline__ unsigned pair16(const unsigned short* lo, const unsigned short* hi) {
    return (unsigned)*lo | ((unsigned)*hi << 16);
}
__device__ __forceinline__ unsigned ld32(const unsigned short* p) { return *(const unsigned*)p; }

// Copies `rows` rows of D 16-bit elements (global row stride `stride` elements, 16-byte aligned
// rows) into shared memory rows of D + 8 (the pad spreads a fragment's rows over all banks);
// rows at or past `valid` are zero.
template <int D, int NT>
__device__ __forceinline__ void tile_load16(unsigned short* s, const unsigned short* g, long long stride, int rows, int valid) {
    constexpr int V = D / 8;   // uint4 per row
    for (int i = threadIdx.x; i < rows * V; i += NT) {
        int r = i / V, c = i % V;
        uint4 x = make_uint4(0, 0, 0, 0);
        if (r < valid) x = *(const uint4*)(g + r * stride + c * 8);
        *(uint4*)(s + r * (D + 8) + c * 8) = x;
    }
}
// Same from F32 rows (dO), converted to BF16/F16.
template <int D, int NT, bool BF16>
__device__ __forceinline__ void tile_load_f32(unsigned short* s, const float* g, long long stride, int rows, int valid) {
    constexpr int V = D / 4;
    for (int i = threadIdx.x; i < rows * V; i += NT) {
        int r = i / V, c = i % V;
        float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
        if (r < valid) x = *(const float4*)(g + r * stride + c * 4);
        unsigned* d = (unsigned*)(s + r * (D + 8) + c * 4);
        d[0] = pack16<BF16>(x.x, x.y);
        d[1] = pack16<BF16>(x.z, x.w);
    }
}

// ---- sm_80+ data movement: cp.async (global → shared without registers) and ldmatrix ----------------
__device__ __forceinline__ unsigned smem_addr(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

// 16 bytes global → shared; src_bytes 0 fills the 16 bytes with zeros (src is not read).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(src_bytes));
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}
// Four 8×8 16-bit matrices; lanes 8i..8i+7 give the row addresses of matrix i, register i receives
// (row lane/4, cols 2·(lane%4), +1) of matrix i — with .trans, of its transpose.
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], const unsigned short* p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(p)));
#endif
}
__device__ __forceinline__ void ldsm_x4_t(unsigned (&r)[4], const unsigned short* p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(p)));
#endif
}
// Two floats → packed 16-bit pair (lo in the low half), round to nearest even, one instruction.
template <bool BF16>
__device__ __forceinline__ unsigned pack16_rn(float lo, float hi) {
    unsigned r = 0;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (BF16) asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    else asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
#endif
    return r;
}

// Asynchronous tile_load16: the same rows and zeros, through cp.async (caller commits and waits).
template <int D, int NT>
__device__ __forceinline__ void tile_load16_async(unsigned short* s, const unsigned short* g, long long stride, int rows, int valid) {
    constexpr int V = D / 8;
    for (int i = threadIdx.x; i < rows * V; i += NT) {
        int r = i / V, c = i % V;
        bool ok = r < valid;
        cp_async16(s + r * (D + 8) + c * 8, ok ? g + r * stride + c * 8 : g, ok ? 16 : 0);
    }
}

// ---- forward on tensor cores ------------------------------------------------------------------------
// Block: BR = 16·NW queries of one (b, h); warp w owns query rows 16w..16w+15 and keeps their S
// tile, running max/sum and O accumulator in registers (FA2). Key tiles of BC keys stream through
// shared memory in two stages (cp.async: tile i+1 loads while tile i is multiplied); K and V
// fragments come from ldmatrix (V transposed on the way). Only the tiles that hold a visible key
// for some row of the block are visited, and only the tiles that cut through some row's visible
// range (or have segment ids) pay for the per-element mask. QREG (D ≤ 128): Q's A fragments stay in
// registers for the whole block, and the Q tile is staged in the second K/V buffer (smem 4·BC·P);
// at D 256 they would not fit beside the 16×256 O accumulator, so Q keeps its own tile.
template <int D, int BC, int NW, bool BF16>
__device__ __forceinline__ void attn_fwd_mma(const AttnArgs& a) {
    constexpr int BR = 16 * NW, NT = 32 * NW, P = D + 8;
    constexpr bool QREG = D <= 128;
    static_assert(2 * BC >= BR, "the Q tile is staged in one K+V stage");
    extern __shared__ __align__(16) unsigned short smem[];
    unsigned short* sQ = QREG ? smem + 2 * BC * P : smem;             // QREG: aliases stage 1
    unsigned short* sKV = QREG ? smem : smem + BR * P;                // stage s: K at sKV + 2·s·BC·P, V after it

    const long long tiles = (a.lq + BR - 1) / BR;
    const long long bh = blockIdx.x / tiles;
    const long long qt = tiles - 1 - blockIdx.x % tiles;   // longest causal tiles first
    const long long b = bh / a.hq, h = bh % a.hq, hk = h / (a.hq / a.hkv);
    const long long q0 = qt * BR;
    const int qvalid = (int)min((long long)BR, a.lq - q0);
    const float scale = (float)__longlong_as_double(a.scaleBits);
    const float softcap = (float)__longlong_as_double(a.softcapBits);
    const float scaleLog2 = scale * L4J_LOG2E;

    const unsigned short* qg = (const unsigned short*)a.q + b * a.qsb + h * a.qsh + q0 * a.qsl;
    const unsigned short* kg = (const unsigned short*)a.k + b * a.ksb + hk * a.ksh;
    const unsigned short* vg = (const unsigned short*)a.v + b * a.vsb + hk * a.vsh;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const long long qi0 = q0 + warp * 16 + g, qi1 = qi0 + 8;       // this thread's two query rows
    const long long p0 = a.offset + qi0, p1 = a.offset + qi1;     // their key slots
    // each row's visible key range (before segments); a row past lq sees nothing
    const long long lo0 = attn_key_lo(a, b, p0), lo1 = attn_key_lo(a, b, p1);
    const long long hi0 = qi0 < a.lq ? attn_key_hi(a, b, p0) : -1, hi1 = qi1 < a.lq ? attn_key_hi(a, b, p1) : -1;
    const int sg0 = a.seg && qi0 < a.lq ? iptr(a.seg)[b * a.lk + p0] : 0, sg1 = a.seg && qi1 < a.lq ? iptr(a.seg)[b * a.lk + p1] : 0;

    // keys any row of the block may see, and the keys every row sees (keyLo/keyHi are nondecreasing in the slot)
    const long long pFirst = a.offset + q0, pLast = a.offset + q0 + qvalid - 1;
    const long long kLo = attn_key_lo(a, b, pFirst), kHi = attn_key_hi(a, b, pLast);
    const long long allLo = attn_key_lo(a, b, pLast), allHi = attn_key_hi(a, b, pFirst);

    tile_load16_async<D, NT>(sQ, qg, a.qsl, BR, qvalid);
    cp_async_commit();
    if (kLo < kHi) {
        const int kv = (int)min((long long)BC, a.lk - kLo);
        tile_load16_async<D, NT>(sKV, kg + kLo * a.ksl, a.ksl, BC, kv);
        tile_load16_async<D, NT>(sKV + BC * P, vg + kLo * a.vsl, a.vsl, BC, kv);
    }
    cp_async_commit();

    unsigned qf[QREG ? D / 16 : 1][4];
    if constexpr (QREG) {
        cp_async_wait<1>();   // the Q group
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++) {
            const unsigned short* qa = sQ + (warp * 16 + g) * P + kk * 16 + 2 * t;
            qf[kk][0] = ld32(qa); qf[kk][1] = ld32(qa + 8 * P); qf[kk][2] = ld32(qa + 8); qf[kk][3] = ld32(qa + 8 * P + 8);
        }
        __syncthreads();      // Q read by every warp before stage 1 is overwritten
    }

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;   // running max (log2 domain), partial sums

    const int ldRow = (lane & 7) + ((lane >> 4) << 3), ldCol = ((lane >> 3) & 1) << 3;    // K: matrices (n, k), (n, k+8), (n+8, k), (n+8, k+8)
    const int ltRow = (lane & 7) + (((lane >> 3) & 1) << 3), ltCol = (lane >> 4) << 3;    // V: matrices (k, n), (k+8, n), (k, n+8), (k+8, n+8)
    int stage = 0;
    for (long long j0 = kLo; j0 < kHi; j0 += BC, stage ^= 1) {
        if (j0 + BC < kHi) {   // next tile into the other stage (free: the loop's last barrier)
            const long long jn = j0 + BC;
            const int kv = (int)min((long long)BC, a.lk - jn);
            unsigned short* nk = sKV + 2 * (stage ^ 1) * BC * P;
            tile_load16_async<D, NT>(nk, kg + jn * a.ksl, a.ksl, BC, kv);
            tile_load16_async<D, NT>(nk + BC * P, vg + jn * a.vsl, a.vsl, BC, kv);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const unsigned short* sK = sKV + 2 * stage * BC * P;
        const unsigned short* sV = sK + BC * P;

        float s[BC / 8][4];
#pragma unroll
        for (int n = 0; n < BC / 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++) {
            unsigned af[4];
            if constexpr (QREG) {
                af[0] = qf[kk][0]; af[1] = qf[kk][1]; af[2] = qf[kk][2]; af[3] = qf[kk][3];
            } else {
                const unsigned short* qa = sQ + (warp * 16 + g) * P + kk * 16 + 2 * t;
                af[0] = ld32(qa); af[1] = ld32(qa + 8 * P); af[2] = ld32(qa + 8); af[3] = ld32(qa + 8 * P + 8);
            }
#pragma unroll
            for (int np = 0; np < BC / 16; np++) {
                unsigned kb[4];
                ldsm_x4(kb, sK + (np * 16 + ldRow) * P + kk * 16 + ldCol);
                mma16816<BF16>(s[2 * np], af, kb[0], kb[1]);
                mma16816<BF16>(s[2 * np + 1], af, kb[2], kb[3]);
            }
        }

        // scores → log2-domain logits (masked only where the tile cuts a row's range), row max over the tile
        float mt0 = -INFINITY, mt1 = -INFINITY;
        const bool full = !a.seg && j0 >= allLo && j0 + BC <= allHi;
        if (full) {
#pragma unroll
            for (int n = 0; n < BC / 8; n++) {
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    float x = softcap > 0.f ? attn_cap(s[n][e] * scale, softcap) * L4J_LOG2E : s[n][e] * scaleLog2;
                    s[n][e] = x;
                    if (e < 2) mt0 = fmaxf(mt0, x); else mt1 = fmaxf(mt1, x);
                }
            }
        } else {
#pragma unroll
            for (int n = 0; n < BC / 8; n++) {
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const long long j = j0 + n * 8 + 2 * t + (e & 1);
                    const bool vis = e < 2 ? (j >= lo0 && j < hi0 && (!a.seg || iptr(a.seg)[b * a.lk + j] == sg0))
                                           : (j >= lo1 && j < hi1 && (!a.seg || iptr(a.seg)[b * a.lk + j] == sg1));
                    float x = vis ? attn_cap(s[n][e] * scale, softcap) * L4J_LOG2E : -INFINITY;
                    s[n][e] = x;
                    if (e < 2) mt0 = fmaxf(mt0, x); else mt1 = fmaxf(mt1, x);
                }
            }
        }
        mt0 = fmaxf(mt0, __shfl_xor_sync(0xffffffffu, mt0, 1));
        mt0 = fmaxf(mt0, __shfl_xor_sync(0xffffffffu, mt0, 2));
        mt1 = fmaxf(mt1, __shfl_xor_sync(0xffffffffu, mt1, 1));
        mt1 = fmaxf(mt1, __shfl_xor_sync(0xffffffffu, mt1, 2));
        const float mn0 = fmaxf(m0, mt0), mn1 = fmaxf(m1, mt1);
        // a row that has seen nothing yet keeps max −∞: its p are 0 and nothing is rescaled
        const float al0 = mn0 == -INFINITY ? 1.f : exp2f(m0 - mn0);
        const float al1 = mn1 == -INFINITY ? 1.f : exp2f(m1 - mn1);
        const float ms0 = mn0 == -INFINITY ? 0.f : mn0, ms1 = mn1 == -INFINITY ? 0.f : mn1;
        m0 = mn0; m1 = mn1;
        l0 *= al0; l1 *= al1;
#pragma unroll
        for (int n = 0; n < D / 8; n++) { o[n][0] *= al0; o[n][1] *= al0; o[n][2] *= al1; o[n][3] *= al1; }
#pragma unroll
        for (int n = 0; n < BC / 8; n++) {
            s[n][0] = exp2f(s[n][0] - ms0); s[n][1] = exp2f(s[n][1] - ms0);
            s[n][2] = exp2f(s[n][2] - ms1); s[n][3] = exp2f(s[n][3] - ms1);
            l0 += s[n][0] + s[n][1];
            l1 += s[n][2] + s[n][3];
        }
        // O += P·V: P's C fragments of n-tiles 2c, 2c+1 are exactly the A fragment of key chunk c
#pragma unroll
        for (int c = 0; c < BC / 16; c++) {
            unsigned pa[4] = {pack16_rn<BF16>(s[2 * c][0], s[2 * c][1]), pack16_rn<BF16>(s[2 * c][2], s[2 * c][3]),
                              pack16_rn<BF16>(s[2 * c + 1][0], s[2 * c + 1][1]), pack16_rn<BF16>(s[2 * c + 1][2], s[2 * c + 1][3])};
#pragma unroll
            for (int dp = 0; dp < D / 16; dp++) {
                unsigned vb[4];
                ldsm_x4_t(vb, sV + (c * 16 + ltRow) * P + dp * 16 + ltCol);
                mma16816<BF16>(o[2 * dp], pa, vb[0], vb[1]);
                mma16816<BF16>(o[2 * dp + 1], pa, vb[2], vb[3]);
            }
        }
        __syncthreads();   // this stage fully consumed before the next iteration refills it
    }
    cp_async_wait<0>();   // no copy left in flight (no key tile at all: the Q group)

    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
    float* out = (float*)a.out + (bh * a.lq) * D;
    float* lse = (float*)a.lse + bh * a.lq;
#pragma unroll
    for (int n = 0; n < D / 8; n++) {
        int d = n * 8 + 2 * t;
        if (qi0 < a.lq) *(float2*)(out + qi0 * D + d) = make_float2(o[n][0] * inv0, o[n][1] * inv0);
        if (qi1 < a.lq) *(float2*)(out + qi1 * D + d) = make_float2(o[n][2] * inv1, o[n][3] * inv1);
    }
    if (t == 0) {
        if (qi0 < a.lq) lse[qi0] = l0 > 0.f ? (m0 + log2f(l0)) * L4J_LN2 : -INFINITY;
        if (qi1 < a.lq) lse[qi1] = l1 > 0.f ? (m1 + log2f(l1)) * L4J_LN2 : -INFINITY;
    }
}

// ---- backward on tensor cores ------------------------------------------------------------------------
// Block: BC = 16·(NW/DS) keys of one (b, kv head). Warp w owns keys 16·(w/DS)..+15 and the head-dim
// part w%DS of their dK, dV accumulators (DS = 2 splits D = 256 so the accumulators fit in
// registers; both warps of a key strip compute the same S and dP). The block walks every query
// head of the group and every query tile that can see its keys: P from the saved lse,
// dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − delta)(∘ 1 − tanh² with softcap)·scale, dK += dSᵀ·Q,
// dQ += dS·K through shared memory and F32 atomics. dK and dV are written once, summed over the
// group's query heads.
template <int D, int BR, int NW, int DS, bool BF16>
__device__ __forceinline__ void attn_bwd_mma(const AttnArgs& a) {
    constexpr int BC = 16 * (NW / DS), NT = 32 * NW, P = D + 8, DH = D / DS, PS = BR + 8;
    extern __shared__ __align__(16) unsigned short smem[];
    unsigned short* sK = smem;
    unsigned short* sV = sK + BC * P;
    unsigned short* sQ = sV + BC * P;
    unsigned short* sO = sQ + BR * P;            // dO as 16-bit
    unsigned short* sS = sO + BR * P;            // dSᵀ [BC][BR + 8]
    float* sL = (float*)(sS + BC * PS);          // lse (log2 domain) [BR]
    float* sD = sL + BR;                         // delta [BR]

    const long long ktiles = (a.lk + BC - 1) / BC;
    const long long bk = blockIdx.x / ktiles;
    const long long j0 = (blockIdx.x % ktiles) * BC;
    const long long b = bk / a.hkv, hk = bk % a.hkv, G = a.hq / a.hkv;
    const int kvalid = (int)min((long long)BC, a.lk - j0);
    const float scale = (float)__longlong_as_double(a.scaleBits);
    const float softcap = (float)__longlong_as_double(a.softcapBits);

    tile_load16<D, NT>(sK, (const unsigned short*)a.k + b * a.ksb + hk * a.ksh + j0 * a.ksl, a.ksl, BC, kvalid);
    tile_load16<D, NT>(sV, (const unsigned short*)a.v + b * a.vsb + hk * a.vsh + j0 * a.vsl, a.vsl, BC, kvalid);

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int ks = warp / DS, dp = warp % DS;
    const long long jA = j0 + ks * 16 + g, jB = jA + 8;   // this thread's two key rows
    // ldmatrix lane addresses (see attn_fwd_mma): B fragments of two n-tiles, plain and transposed
    const int ldRow = (lane & 7) + ((lane >> 4) << 3), ldCol = ((lane >> 3) & 1) << 3;
    const int ltRow = (lane & 7) + (((lane >> 3) & 1) << 3), ltCol = (lane >> 4) << 3;
    // A fragment of dS read transposed from dSᵀ: matrices (k, m), (k, m+8), (k+8, m), (k+8, m+8)
    const int laRow = (lane & 7) + ((lane >> 4) << 3), laCol = ((lane >> 3) & 1) << 3;

    float dk[DH / 8][4], dv[DH / 8][4];
#pragma unroll
    for (int n = 0; n < DH / 8; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) dk[n][e] = dv[n][e] = 0.f;

    // queries that can see a key of [j0, j0 + BC): causal needs slot ≥ j0, a window slot < jLast + window
    long long qLo = a.causal ? max(0LL, j0 - a.offset) : 0;
    long long qHi = a.window > 0 ? min(a.lq, j0 + kvalid - 1 + a.window - a.offset) : a.lq;
    if (a.keyStart && (j0 + kvalid <= iptr(a.keyStart)[b] || j0 >= iptr(a.keyEnd)[b])) qHi = qLo;   // keys outside the row's range
    qLo = qLo / BR * BR;

    for (long long hh = 0; hh < G; hh++) {
        const long long h = hk * G + hh, bh = b * a.hq + h;
        for (long long q0 = qLo; q0 < qHi; q0 += BR) {
            const int qvalid = (int)min((long long)BR, a.lq - q0);
            __syncthreads();   // previous tile consumed (sQ, sO, sS, sL, sD)
            tile_load16<D, NT>(sQ, (const unsigned short*)a.q + b * a.qsb + h * a.qsh + q0 * a.qsl, a.qsl, BR, qvalid);
            tile_load_f32<D, NT, BF16>(sO, (const float*)a.gout + (bh * a.lq + q0) * D, D, BR, qvalid);
            for (int i = threadIdx.x; i < BR; i += NT) {
                float l = i < qvalid ? ((const float*)a.lse)[bh * a.lq + q0 + i] : -INFINITY;
                sL[i] = l * L4J_LOG2E;   // −∞: the row sees nothing, its P is 0
                sD[i] = i < qvalid ? ((const float*)a.delta)[bh * a.lq + q0 + i] : 0.f;
            }
            __syncthreads();

            // Sᵀ (16 keys × BR queries) and dPᵀ = V·dOᵀ for this warp's key strip
            float s[BR / 8][4], dpt[BR / 8][4];
#pragma unroll
            for (int n = 0; n < BR / 8; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) s[n][e] = dpt[n][e] = 0.f;
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++) {
                const unsigned short* ka = sK + (ks * 16 + g) * P + kk * 16 + 2 * t;
                const unsigned short* va = sV + (ks * 16 + g) * P + kk * 16 + 2 * t;
                unsigned kf[4] = {ld32(ka), ld32(ka + 8 * P), ld32(ka + 8), ld32(ka + 8 * P + 8)};
                unsigned vf[4] = {ld32(va), ld32(va + 8 * P), ld32(va + 8), ld32(va + 8 * P + 8)};
#pragma unroll
                for (int np = 0; np < BR / 16; np++) {
                    unsigned qb[4], ob[4];
                    ldsm_x4(qb, sQ + (np * 16 + ldRow) * P + kk * 16 + ldCol);
                    ldsm_x4(ob, sO + (np * 16 + ldRow) * P + kk * 16 + ldCol);
                    mma16816<BF16>(s[2 * np], kf, qb[0], qb[1]);
                    mma16816<BF16>(s[2 * np + 1], kf, qb[2], qb[3]);
                    mma16816<BF16>(dpt[2 * np], vf, ob[0], ob[1]);
                    mma16816<BF16>(dpt[2 * np + 1], vf, ob[2], ob[3]);
                }
            }
            // Pᵀ and dSᵀ in place: s ← P, dpt ← dS. The per-element mask only where the key block cuts
            // some query row's visible range (or segments, or a partial query/key tile)
            const long long pFirst = a.offset + q0, pLast = pFirst + qvalid - 1;
            const bool full = !a.seg && qvalid == BR && kvalid == BC && j0 >= attn_key_lo(a, b, pLast) && j0 + BC <= attn_key_hi(a, b, pFirst);
#pragma unroll
            for (int n = 0; n < BR / 8; n++) {
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    int qc = n * 8 + 2 * t + (e & 1);
                    long long qi = q0 + qc, j = e < 2 ? jA : jB;
                    float raw = s[n][e] * scale, th = 0.f, x = raw;
                    if (softcap > 0.f) { th = tanhf(raw / softcap); x = softcap * th; }
                    float lse2 = sL[qc];
                    bool vis = lse2 != -INFINITY && (full || (qi < a.lq && j < a.lk && attn_visible(a, b, a.offset + qi, j)));
                    float p = vis ? exp2f(x * L4J_LOG2E - lse2) : 0.f;
                    float ds = p * (dpt[n][e] - sD[qc]);
                    if (softcap > 0.f) ds *= 1.f - th * th;
                    s[n][e] = p;
                    dpt[n][e] = ds * scale;
                }
            }
            // dV += Pᵀ·dO and dK += dSᵀ·Q over this warp's head-dim part
#pragma unroll
            for (int c = 0; c < BR / 16; c++) {
                unsigned pa[4] = {pack16_rn<BF16>(s[2 * c][0], s[2 * c][1]), pack16_rn<BF16>(s[2 * c][2], s[2 * c][3]),
                                  pack16_rn<BF16>(s[2 * c + 1][0], s[2 * c + 1][1]), pack16_rn<BF16>(s[2 * c + 1][2], s[2 * c + 1][3])};
                unsigned da[4] = {pack16_rn<BF16>(dpt[2 * c][0], dpt[2 * c][1]), pack16_rn<BF16>(dpt[2 * c][2], dpt[2 * c][3]),
                                  pack16_rn<BF16>(dpt[2 * c + 1][0], dpt[2 * c + 1][1]), pack16_rn<BF16>(dpt[2 * c + 1][2], dpt[2 * c + 1][3])};
#pragma unroll
                for (int n2 = 0; n2 < DH / 16; n2++) {
                    unsigned ob[4], qb[4];
                    ldsm_x4_t(ob, sO + (c * 16 + ltRow) * P + dp * DH + n2 * 16 + ltCol);
                    ldsm_x4_t(qb, sQ + (c * 16 + ltRow) * P + dp * DH + n2 * 16 + ltCol);
                    mma16816<BF16>(dv[2 * n2], pa, ob[0], ob[1]);
                    mma16816<BF16>(dv[2 * n2 + 1], pa, ob[2], ob[3]);
                    mma16816<BF16>(dk[2 * n2], da, qb[0], qb[1]);
                    mma16816<BF16>(dk[2 * n2 + 1], da, qb[2], qb[3]);
                }
            }
            // dSᵀ to shared memory (one warp per key strip writes it) for dQ = dS·K
            if (dp == 0) {
#pragma unroll
                for (int n = 0; n < BR / 8; n++) {
                    int qc = n * 8 + 2 * t;
                    sS[(ks * 16 + g) * PS + qc] = to16<BF16>(dpt[n][0]);
                    sS[(ks * 16 + g) * PS + qc + 1] = to16<BF16>(dpt[n][1]);
                    sS[(ks * 16 + g + 8) * PS + qc] = to16<BF16>(dpt[n][2]);
                    sS[(ks * 16 + g + 8) * PS + qc + 1] = to16<BF16>(dpt[n][3]);
                }
            }
            __syncthreads();
            // dQ tile [BR × D]: warp w takes query strip w % (BR/16) and a share of the D/8 column tiles
            constexpr int STRIPS = BR / 16, WPS = NW / STRIPS, NCOL = D / 8 / WPS;
            const int rs = warp % STRIPS, cb = (warp / STRIPS) * NCOL;
            float dq[NCOL][4];
#pragma unroll
            for (int n = 0; n < NCOL; n++) dq[n][0] = dq[n][1] = dq[n][2] = dq[n][3] = 0.f;
#pragma unroll
            for (int c = 0; c < BC / 16; c++) {
                // A = dS[query][key] read transposed from dSᵀ[key][query]: a0 (q g, k 2t) = dSᵀ[2t][g], …
                unsigned af[4];
                ldsm_x4_t(af, sS + (c * 16 + laRow) * PS + rs * 16 + laCol);
#pragma unroll
                for (int n2 = 0; n2 < NCOL / 2; n2++) {
                    unsigned kb[4];
                    ldsm_x4_t(kb, sK + (c * 16 + ltRow) * P + (cb + 2 * n2) * 8 + ltCol);
                    mma16816<BF16>(dq[2 * n2], af, kb[0], kb[1]);
                    mma16816<BF16>(dq[2 * n2 + 1], af, kb[2], kb[3]);
                }
            }
            float* gq = (float*)a.gq + (bh * a.lq + q0) * D;
            const int r0 = rs * 16 + g, r1 = r0 + 8;
#pragma unroll
            for (int n = 0; n < NCOL; n++) {
                int d = (cb + n) * 8 + 2 * t;
                if (r0 < qvalid) { atomicAdd(gq + r0 * D + d, dq[n][0]); atomicAdd(gq + r0 * D + d + 1, dq[n][1]); }
                if (r1 < qvalid) { atomicAdd(gq + r1 * D + d, dq[n][2]); atomicAdd(gq + r1 * D + d + 1, dq[n][3]); }
            }
        }
    }

    float* gk = (float*)a.gk + (bk * a.lk) * D;
    float* gv = (float*)a.gv + (bk * a.lk) * D;
#pragma unroll
    for (int n = 0; n < DH / 8; n++) {
        int d = dp * DH + n * 8 + 2 * t;
        if (jA < a.lk) {
            *(float2*)(gk + jA * D + d) = make_float2(dk[n][0], dk[n][1]);
            *(float2*)(gv + jA * D + d) = make_float2(dv[n][0], dv[n][1]);
        }
        if (jB < a.lk) {
            *(float2*)(gk + jB * D + d) = make_float2(dk[n][2], dk[n][3]);
            *(float2*)(gv + jB * D + d) = make_float2(dv[n][2], dv[n][3]);
        }
    }
}

// Tile shapes per head dim (CudaAttention.java mirrors them to size grids and shared memory):
//   forward  D 64/128: 64 queries × 64 keys, 4 warps; D 256: 64 × 32
//   backward D 64/128: 64 keys × 32 queries, 4 warps; D 256: 32 keys × 32 queries, 4 warps, DS 2
#define L4J_ATTN_MMA(D, FBC, BDS, NAME, BF)                                                                   \
    extern "C" __global__ void __launch_bounds__(128) l4j_attn_fwd_mma_##D##_##NAME(AttnArgs a) {          \
        attn_fwd_mma<D, FBC, 4, BF>(a);                                                                    \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(128) l4j_attn_bwd_mma_##D##_##NAME(AttnArgs a) {          \
        attn_bwd_mma<D, 32, 4, BDS, BF>(a);                                                                \
    }
L4J_ATTN_MMA(64, 64, 1, bf16, true)
L4J_ATTN_MMA(128, 64, 1, bf16, true)
L4J_ATTN_MMA(256, 32, 2, bf16, true)
L4J_ATTN_MMA(64, 64, 1, f16, false)
L4J_ATTN_MMA(128, 64, 1, f16, false)
L4J_ATTN_MMA(256, 32, 2, f16, false)

// delta[row] = Σ_d gOut·out (F32 rows of Dv), one warp per row.
extern "C" __global__ void l4j_attn_bwd_delta(const float* gout, const float* out, float* delta, long long rows, int dv) {
    long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    float s = 0.f;
    for (int d = lane; d < dv; d += 32) s += gout[row * dv + d] * out[row * dv + d];
    s = warp_sum(s);
    if (lane == 0) delta[row] = s;
}

// ---- split kernel: any dtype, D and Dv ≤ 256 -------------------------------------------------------
// One warp per (query row, key split); lane holds dims lane, lane + 32, … of q and of the output
// accumulator. Keys go four at a time so the four dot-product reductions overlap. With one split it
// writes out and lse; with more, partial (m in log2 domain, l, unnormalised o) for l4j_attn_combine.
#define L4J_SPLIT_MAXD 256
extern "C" __global__ void __launch_bounds__(128) l4j_attn_fwd_split(AttnArgs a) {
    constexpr int R = L4J_SPLIT_MAXD / 32;
    const long long item = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31;
    const long long rows = a.batch * a.hq * a.lq;
    if (item >= rows * a.splits) return;
    const long long row = item / a.splits, split = item % a.splits;
    const long long qi = row % a.lq, bh = row / a.lq, h = bh % a.hq, b = bh / a.hq, hk = h / (a.hq / a.hkv);
    const long long p = a.offset + qi;
    const int dt = (int)a.dtype, D = (int)a.dim, DV = (int)a.dimv;
    const float scale = (float)__longlong_as_double(a.scaleBits);
    const float softcap = (float)__longlong_as_double(a.softcapBits);

    float q[R], o[R];
    const long long qbase = b * a.qsb + h * a.qsh + qi * a.qsl;
#pragma unroll
    for (int r = 0; r < R; r++) {
        int d = lane + 32 * r;
        q[r] = d < D ? load_f((const void*)a.q, dt, qbase + d) : 0.f;
        o[r] = 0.f;
    }
    const long long lo = attn_key_lo(a, b, p), hi = attn_key_hi(a, b, p);
    const long long span = max(0LL, hi - lo), chunk = (span + a.splits - 1) / a.splits;
    const long long js = lo + split * chunk, je = min(hi, js + chunk);
    const long long kbase = b * a.ksb + hk * a.ksh, vbase = b * a.vsb + hk * a.vsh;
    const int* seg = a.seg ? iptr(a.seg) + b * a.lk : nullptr;
    const int mySeg = seg ? seg[p] : 0;
    float m = -INFINITY, l = 0.f;
    for (long long j = js; j < je; j += 4) {
        float x[4];
#pragma unroll
        for (int u = 0; u < 4; u++) {
            float dot = 0.f;
            long long jj = j + u;
            if (jj < je) {
#pragma unroll
                for (int r = 0; r < R; r++) {
                    int d = lane + 32 * r;
                    if (d < D) dot += q[r] * load_f((const void*)a.k, dt, kbase + jj * a.ksl + d);
                }
            }
            x[u] = dot;
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1)
#pragma unroll
            for (int u = 0; u < 4; u++) x[u] += __shfl_xor_sync(0xffffffffu, x[u], off);
        float mt = -INFINITY;
#pragma unroll
        for (int u = 0; u < 4; u++) {
            long long jj = j + u;
            bool vis = jj < je && (!seg || seg[jj] == mySeg);
            x[u] = vis ? attn_cap(x[u] * scale, softcap) * L4J_LOG2E : -INFINITY;
            mt = fmaxf(mt, x[u]);
        }
        if (mt == -INFINITY) continue;
        const float mn = fmaxf(m, mt), al = exp2f(m - mn);   // m = −∞ → al = 0, o and l are 0 anyway
        l *= al;
#pragma unroll
        for (int r = 0; r < R; r++) o[r] *= al;
#pragma unroll
        for (int u = 0; u < 4; u++) {
            float pu = exp2f(x[u] - mn);
            if (pu == 0.f) continue;
            l += pu;
            long long jj = j + u;
#pragma unroll
            for (int r = 0; r < R; r++) {
                int d = lane + 32 * r;
                if (d < DV) o[r] += pu * load_f((const void*)a.v, dt, vbase + jj * a.vsl + d);
            }
        }
        m = mn;
    }
    if (a.splits == 1) {
        const float inv = l > 0.f ? 1.f / l : 0.f;
        float* out = (float*)a.out + row * DV;
#pragma unroll
        for (int r = 0; r < R; r++) {
            int d = lane + 32 * r;
            if (d < DV) out[d] = o[r] * inv;
        }
        if (lane == 0) ((float*)a.lse)[row] = l > 0.f ? (m + log2f(l)) * L4J_LN2 : -INFINITY;
    } else {
        float* part = (float*)a.part + item * (DV + 2);
        if (lane == 0) { part[0] = m; part[1] = l; }
#pragma unroll
        for (int r = 0; r < R; r++) {
            int d = lane + 32 * r;
            if (d < DV) part[2 + d] = o[r];
        }
    }
}

// Decode attention for 16-bit q/k/v with D = Dv = 64/128/256 and 16-byte aligned rows: the split
// kernel's work items (one warp per (query row, key split), the same partials and combine), but
// each lane owns 8 dims of one key (LPK = D/8 lanes per key, KPW = 32/LPK keys per warp load):
// 16-byte loads of K and V, U = 4 loads in flight per lane, the dot reduced within the key's lane
// group. The generic split kernel loads one 2-byte element per lane and key through a dtype switch.
template <int D, bool BF16>
__device__ __forceinline__ void attn_decode16(const AttnArgs& a) {
    constexpr int LPK = D / 8, KPW = 32 / LPK, U = 4;
    const long long item = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31, grp = lane / LPK, sub = lane % LPK;
    const long long rows = a.batch * a.hq * a.lq;
    if (item >= rows * a.splits) return;
    const long long row = item / a.splits, split = item % a.splits;
    const long long qi = row % a.lq, bh = row / a.lq, h = bh % a.hq, b = bh / a.hq, hk = h / (a.hq / a.hkv);
    const long long p = a.offset + qi;
    const float scale = (float)__longlong_as_double(a.scaleBits);
    const float softcap = (float)__longlong_as_double(a.softcapBits);

    float q[8], o[8];
    {
        uint4 raw = *(const uint4*)((const unsigned short*)a.q + b * a.qsb + h * a.qsh + qi * a.qsl + sub * 8);
        const unsigned w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            q[2 * i] = to_f32<BF16>((unsigned short)(w[i] & 0xffffu));
            q[2 * i + 1] = to_f32<BF16>((unsigned short)(w[i] >> 16));
            o[2 * i] = o[2 * i + 1] = 0.f;
        }
    }
    const long long lo = attn_key_lo(a, b, p), hi = attn_key_hi(a, b, p);
    const long long span = max(0LL, hi - lo), chunk = (span + a.splits - 1) / a.splits;
    const long long js = lo + split * chunk, je = min(hi, js + chunk);
    const unsigned short* kg = (const unsigned short*)a.k + b * a.ksb + hk * a.ksh + sub * 8;
    const unsigned short* vg = (const unsigned short*)a.v + b * a.vsb + hk * a.vsh + sub * 8;
    const int* seg = a.seg ? iptr(a.seg) + b * a.lk : nullptr;
    const int mySeg = seg ? seg[p] : 0;
    float m = -INFINITY, l = 0.f;
    for (long long j0 = js; j0 < je; j0 += KPW * U) {
        uint4 kr[U], vr[U];
        bool ok[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            const long long j = j0 + u * KPW + grp;
            ok[u] = j < je;
            kr[u] = ok[u] ? *(const uint4*)(kg + j * a.ksl) : make_uint4(0, 0, 0, 0);
            vr[u] = ok[u] ? *(const uint4*)(vg + j * a.vsl) : make_uint4(0, 0, 0, 0);
        }
        float x[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            const unsigned w[4] = {kr[u].x, kr[u].y, kr[u].z, kr[u].w};
            float d = 0.f;
#pragma unroll
            for (int i = 0; i < 4; i++) {
                d = fmaf(q[2 * i], to_f32<BF16>((unsigned short)(w[i] & 0xffffu)), d);
                d = fmaf(q[2 * i + 1], to_f32<BF16>((unsigned short)(w[i] >> 16)), d);
            }
#pragma unroll
            for (int off = LPK / 2; off > 0; off >>= 1) d += __shfl_xor_sync(0xffffffffu, d, off);
            const long long j = j0 + u * KPW + grp;
            const bool vis = ok[u] && (!seg || seg[j] == mySeg);
            x[u] = vis ? attn_cap(d * scale, softcap) * L4J_LOG2E : -INFINITY;
        }
        float mt = x[0];
#pragma unroll
        for (int u = 1; u < U; u++) mt = fmaxf(mt, x[u]);
#pragma unroll
        for (int off = 16; off >= LPK; off >>= 1) mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, off));
        if (mt == -INFINITY) continue;   // warp-uniform
        const float mn = fmaxf(m, mt), al = exp2f(m - mn);   // m = −∞ → al = 0, o and l are 0 anyway
#pragma unroll
        for (int i = 0; i < 8; i++) o[i] *= al;
        float ps = 0.f;
#pragma unroll
        for (int u = 0; u < U; u++) {
            const float pu = exp2f(x[u] - mn);
            ps += pu;
            const unsigned w[4] = {vr[u].x, vr[u].y, vr[u].z, vr[u].w};
#pragma unroll
            for (int i = 0; i < 4; i++) {
                o[2 * i] = fmaf(pu, to_f32<BF16>((unsigned short)(w[i] & 0xffffu)), o[2 * i]);
                o[2 * i + 1] = fmaf(pu, to_f32<BF16>((unsigned short)(w[i] >> 16)), o[2 * i + 1]);
            }
        }
#pragma unroll
        for (int off = 16; off >= LPK; off >>= 1) ps += __shfl_xor_sync(0xffffffffu, ps, off);   // over the key groups
        l = l * al + ps;
        m = mn;
    }
    // the key groups' partial O (same running max across the warp) summed into every group
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int off = 16; off >= LPK; off >>= 1) o[i] += __shfl_xor_sync(0xffffffffu, o[i], off);
    if (grp != 0) return;
    const int DV = D;
    if (a.splits == 1) {
        const float inv = l > 0.f ? 1.f / l : 0.f;
        float* out = (float*)a.out + row * DV + sub * 8;
#pragma unroll
        for (int i = 0; i < 8; i++) out[i] = o[i] * inv;
        if (sub == 0) ((float*)a.lse)[row] = l > 0.f ? (m + log2f(l)) * L4J_LN2 : -INFINITY;
    } else {
        float* part = (float*)a.part + item * (DV + 2);
        if (sub == 0) { part[0] = m; part[1] = l; }
#pragma unroll
        for (int i = 0; i < 8; i++) part[2 + sub * 8 + i] = o[i];
    }
}
// One query head per warp. Serving the 4 heads of a GQA group from one warp (each K/V row loaded
// once) measured slower on an H200 (867 / 1140 vs 1275 / 1506 GB/s at 8k / 32k keys, 167 registers):
// bench/GPU-BENCHMARKS.md.
#define L4J_ATTN_DECODE(D, NAME, BF)                                                                          \
    extern "C" __global__ void __launch_bounds__(128) l4j_attn_decode_##D##_##NAME(AttnArgs a) { attn_decode16<D, BF>(a); }
L4J_ATTN_DECODE(64, bf16, true)
L4J_ATTN_DECODE(128, bf16, true)
L4J_ATTN_DECODE(256, bf16, true)
L4J_ATTN_DECODE(64, f16, false)
L4J_ATTN_DECODE(128, f16, false)
L4J_ATTN_DECODE(256, f16, false)

// Merges the splits of l4j_attn_fwd_split: one warp per query row.
extern "C" __global__ void l4j_attn_combine(AttnArgs a) {
    const long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31, DV = (int)a.dimv;
    if (row >= a.batch * a.hq * a.lq) return;
    const float* part = (const float*)a.part + row * a.splits * (DV + 2);
    float M = -INFINITY;
    for (long long s = 0; s < a.splits; s++) M = fmaxf(M, part[s * (DV + 2)]);
    float L = 0.f;
    if (M != -INFINITY)
        for (long long s = 0; s < a.splits; s++) L += part[s * (DV + 2) + 1] * exp2f(part[s * (DV + 2)] - M);
    const float inv = L > 0.f ? 1.f / L : 0.f;
    float* out = (float*)a.out + row * DV;
    for (int d = lane; d < DV; d += 32) {
        float acc = 0.f;
        if (M != -INFINITY)
            for (long long s = 0; s < a.splits; s++) acc += part[s * (DV + 2) + 2 + d] * exp2f(part[s * (DV + 2)] - M);
        out[d] = acc * inv;
    }
    if (lane == 0) ((float*)a.lse)[row] = L > 0.f ? (M + log2f(L)) * L4J_LN2 : -INFINITY;
}
