// Convolution helpers on contiguous F32 NCHW tensors: im2col and its adjoint col2im.
//
// im2col: one thread per element of cols [N, C·kh·kw, OH·OW]; reads x (each input element is
// read about kh·kw/(sh·sw) times, mostly from L1/L2) and writes cols once.
// col2im: one thread per element of x [N,C,H,W] that sums the cols entries mapping to it — a
// gather, so there are no atomics and the result is deterministic; x is written once.
// Launch shape: 1-D grid-stride, 256 threads per block.
#include "common.cuh"

extern "C" __global__ void l4j_im2col(const float* x, int N, int C, int H, int W, int kh, int kw, int sh, int sw,
                                      int ph, int pw, int OH, int OW, float* cols) {
    long long total = (long long)N * C * kh * kw * OH * OW;
    GRID_STRIDE(i, total) {
        long long t = i;
        int ox = (int)(t % OW); t /= OW;
        int oy = (int)(t % OH); t /= OH;
        int kj = (int)(t % kw); t /= kw;
        int ki = (int)(t % kh); t /= kh;
        long long nc = t;  // img·C + ch
        int iy = oy * sh - ph + ki, ix = ox * sw - pw + kj;
        cols[i] = (iy < 0 || iy >= H || ix < 0 || ix >= W) ? 0.f : x[(nc * H + iy) * W + ix];
    }
}

extern "C" __global__ void l4j_col2im(const float* cols, int N, int C, int H, int W, int kh, int kw, int sh, int sw,
                                      int ph, int pw, int OH, int OW, float* x) {
    long long total = (long long)N * C * H * W;
    GRID_STRIDE(i, total) {
        long long t = i;
        int ix = (int)(t % W); t /= W;
        int iy = (int)(t % H); t /= H;
        long long nc = t;
        float s = 0;
        for (int ki = 0; ki < kh; ki++) {
            int ny = iy + ph - ki;
            if (ny < 0 || ny % sh) continue;
            int oy = ny / sh;
            if (oy >= OH) continue;
            for (int kj = 0; kj < kw; kj++) {
                int nx = ix + pw - kj;
                if (nx < 0 || nx % sw) continue;
                int ox = nx / sw;
                if (ox >= OW) continue;
                s += cols[(((nc * kh + ki) * kw + kj) * OH + oy) * OW + ox];
            }
        }
        x[i] = s;
    }
}
