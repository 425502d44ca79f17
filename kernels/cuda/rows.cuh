// Row helpers for the fused per-row kernels (softmax, norms, cross-entropy): one block per row,
// the row optionally cached in dynamic shared memory so second passes do not touch DRAM.
#pragma once
#include "common.cuh"

// Loads row element i, from the shared-memory copy when the row fits there.
__device__ __forceinline__ float row_at(const float* g, const float* cache, int i) { return cache ? cache[i] : g[i]; }
