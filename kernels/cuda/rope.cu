// Rotary position embedding (F.rope → CudaBackend.rope): HF's rotate-half layout, one thread per
// (b, h, l, i) pair of dims i and i + D/2, computed in F32, stored in the output's dtype.
#include "common.cuh"

// x: any floating dtype, element strides (batch, head, row), last dim stride 1; cos/sin F32 with
// strides (batch: 0 when broadcast, row), last dim stride 1; out contiguous [B, H, L, 2·half].
// inverse != 0 rotates back (sin negated): the backward.
extern "C" __global__ void l4j_rope(const void* x, int xdt, long long xsb, long long xsh, long long xsl,
                                    const float* cosT, const float* sinT, long long csb, long long csl,
                                    void* out, int odt, long long heads, long long len, long long half, long long n, int inverse) {
    GRID_STRIDE(i, n) {
        long long j = i % half, r = i / half;
        long long l = r % len, bh = r / len;
        long long h = bh % heads, b = bh / heads;
        long long xb = b * xsb + h * xsh + l * xsl;
        float x1 = load_f(x, xdt, xb + j), x2 = load_f(x, xdt, xb + j + half);
        float c = cosT[b * csb + l * csl + j], s = sinT[b * csb + l * csl + j];
        if (inverse) s = -s;
        long long o = r * 2 * half + j;
        store_d(out, odt, o, x1 * c - x2 * s);
        store_d(out, odt, o + half, x2 * c + x1 * s);
    }
}
