package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;

/**
 * The CUDA inference convolution: stride-1 convolutions as kh·kw accumulating cuBLAS GEMMs over
 * shifted views of one zero-padded copy of the input (no im2col); other shapes take the
 * Backend's im2col reference.
 *
 * <p>With the input zero-padded to [C, Hp·Wp] (row pitch Wp), the input window of kernel tap
 * (i, j) for all outputs is the contiguous range starting at i·Wp + j, so the convolution is
 * kh·kw accumulating GEMMs W[:, :, i, j] · X[:, i·Wp + j ...] into an output of row pitch Wp
 * whose last kw−1 columns per row are discarded. Extra memory is one padded copy of x instead of
 * a C·kh·kw-times larger column matrix (1.2 GB for a 128-channel 512² layer).
 */
final class CudaConv {
    private CudaConv() {}

    /** Below this many input channels the tap GEMMs are too thin to beat im2col. */
    static final int SHIFTED_MIN_CHANNELS = 16;

    /** Whether {@link #shifted} serves this convolution. */
    static boolean suitsShifted(int c, int kh, int kw, int sh, int sw) {
        return sh == 1 && sw == 1 && c >= SHIFTED_MIN_CHANNELS && kh * kw > 1;
    }

    /** out [N,O,OH,OW] = conv(x, w) + b, stride 1, padding ph×pw; all contiguous F32 (b may be null). */
    static void shifted(CudaBackend be, Tensor x, Tensor w, Tensor b, int ph, int pw, Tensor out) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        int oh = out.size(2), ow = out.size(3);
        int hp = h + 2 * ph, wp = wd + 2 * pw;
        int span = oh * wp;                                   // outputs per image at row pitch wp
        int plane = hp * wp + kw - 1;                         // the last tap's window ends kw−1 past the padded plane
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor xp = Tensor.zeros(DType.F32, x.device(), n, c, plane);
            xp.narrow(2, 0, hp * wp).reshape(n, c, hp, wp).narrow(2, ph, h).narrow(3, pw, wd).copyFrom(x);
            Tensor taps = w.permute(2, 3, 0, 1).contiguous();                        // [kh, kw, O, C]
            Tensor wide = Tensor.empty(DType.F32, x.device(), n, o, span);
            for (int img = 0; img < n; img++) {
                Tensor acc = wide.select(0, img).unsqueeze(0);
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        Tensor a = taps.select(0, i).select(0, j).unsqueeze(0);
                        Tensor cols = xp.select(0, img).narrow(1, i * wp + j, span).unsqueeze(0);
                        be.matmul(a, cols, acc, i + j > 0);
                    }
                }
            }
            Tensor y = wide.reshape(n, o, oh, wp).narrow(3, 0, ow);
            out.copyFrom(b == null ? y : y.add(b.reshape(1, o, 1, 1)));
        }
    }
}
