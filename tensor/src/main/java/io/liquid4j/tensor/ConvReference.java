package io.liquid4j.tensor;

/**
 * Composed references of the inference convolution ops of {@link Backend} (GroupNorm's are in
 * {@link GroupNormReference}): what a backend without its own kernel runs, and the oracle its kernel is tested against. Inputs and
 * outputs are contiguous F32 as the Backend methods state; everything runs without autograd.
 */
final class ConvReference {
    private ConvReference() {}

    /** im2col into [N, C·kh·kw, OH·OW], then one GEMM per image. */
    static void conv2d(Backend be, Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, Tensor out) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            int n = x.size(0), c = x.size(1), o = w.size(0), kh = w.size(2), kw = w.size(3);
            int oh = out.size(2), ow = out.size(3), ckk = c * kh * kw;
            Tensor cols = Tensor.empty(DType.F32, x.device(), n, ckk, oh * ow);
            be.im2col(x, kh, kw, sh, sw, ph, pw, cols);
            Tensor y = w.reshape(o, ckk).matmul(cols);                      // [N, O, OH·OW]
            if (b != null) y = y.add(b.reshape(1, o, 1));
            out.copyFrom(y.reshape(out.shape()));
        }
    }

    /** Materialises the upsampled input (scale² times x), then the backend's own convolution. */
    static void upsampleConv2d(Backend be, Tensor x, int scale, Tensor w, Tensor b, int ph, int pw, Tensor out) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor up = F.upsampleNearest(x, scale).contiguous();
            be.conv2dForward(up, w, b, 1, 1, ph, pw, out);
        }
    }
}
