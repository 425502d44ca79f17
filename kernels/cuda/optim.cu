// Optimizer kernels (F.adamwUpdateAll → CudaBackend.adamwUpdateAll).
#include "common.cuh"

// AdamW over every parameter of a model in one launch (torch.optim.AdamW's update, the float
// operations in the order of cpu/CpuAdamW and AdamWReference). `table` has 9 entries per slot:
// param, param dtype, grad, grad dtype, exp_avg, exp_avg_sq (F32), master (F32, 0 = the param is
// F32 and takes the update itself), element count, first element in the concatenated index space
// (ascending). A thread finds its slot by binary search; neighbouring threads share a slot, so the
// search runs out of L1. With a master, the BF16/F16 parameter is written from it in the same pass.
extern "C" __global__ void l4j_adamw_multi(const long long* table, int count, long long total, float decay, float b1, float b2,
                                           float c1, float c2, float eps, float sqrtBc2, float stepSize, int decays) {
    GRID_STRIDE(i, total) {
        int lo = 0, hi = count - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >> 1;
            if (table[9 * mid + 8] <= i) lo = mid; else hi = mid - 1;
        }
        const long long* e = table + 9 * lo;
        const long long k = i - e[8];
        float* mp = (float*)e[4];
        float* vp = (float*)e[5];
        float* wp = e[6] ? (float*)e[6] : (float*)e[0];
        float g = load_f((const void*)e[2], (int)e[3], k);
        float w = wp[k];
        if (decays) w = w * decay;
        float m = mp[k] * b1 + g * c1;
        float v = vp[k] * b2 + g * g * c2;
        w = w - m / (sqrtf(v) / sqrtBc2 + eps) * stepSize;
        mp[k] = m;
        vp[k] = v;
        wp[k] = w;
        if (e[6]) store_d((void*)e[0], (int)e[1], k, w);
    }
}
