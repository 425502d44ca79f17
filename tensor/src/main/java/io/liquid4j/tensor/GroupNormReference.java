package io.liquid4j.tensor;

import java.util.Arrays;

/**
 * Composed reference of the GroupNorm ops of {@link Backend} ({@code groupNormForward},
 * {@code groupNormTrain}, {@code groupNormBackward}): the backend's layerNorm and
 * layerNormBackward over each (image, group)'s flattened elements (exactly the group statistics), the affine part and the SiLU as tensor ops. What a backend without
 * its own kernel runs, and the oracle its kernel is tested against; everything runs without
 * autograd, on contiguous F32 as the Backend methods state.
 */
final class GroupNormReference {
    private GroupNormReference() {}

    /** Inference: {@link #forward} with statistics that are dropped. */
    static void inference(Backend be, Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out) {
        try (var _ = TensorScope.open()) {
            int n = x.size(0);
            forward(be, x, groups, w, b, eps, silu, out, Tensor.empty(DType.F32, x.device(), n, groups), Tensor.empty(DType.F32, x.device(), n, groups));
        }
    }

    static void forward(Backend be, Tensor x, int groups, Tensor w, Tensor b, double eps, boolean silu, Tensor out, Tensor mean, Tensor rstd) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            int n = x.size(0), len = (int) (x.numel() / ((long) n * groups));
            Tensor normed = Tensor.empty(DType.F32, x.device(), n * groups, len);
            be.layerNorm(x.reshape(n * groups, len), null, null, eps, normed, mean.reshape(n * groups), rstd.reshape(n * groups));
            out.copyFrom(activation(affine(normed.reshape(x.shape()), w, b), silu));
        }
    }

    static void backward(Backend be, Tensor x, int groups, Tensor w, Tensor b, boolean silu, Tensor mean, Tensor rstd, Tensor gy,
                         Tensor gx, Tensor gw, Tensor gb) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            int n = x.size(0), len = (int) (x.numel() / ((long) n * groups));
            Tensor xhat = x.reshape(n, groups, len).sub(mean.reshape(n, groups, 1)).mul(rstd.reshape(n, groups, 1)).reshape(x.shape());
            Tensor dz = gy;
            if (silu) {
                Tensor z = affine(xhat, w, b), s = z.sigmoid();
                dz = gy.mul(s.mul(z.mul(s.neg().add(1)).add(1)));         // silu'(z) = σ(z)·(1 + z·(1 − σ(z)))
            }
            int[] perChannel = perChannelDims(x.dim());
            if (gb != null) gb.copyFrom(gb.add(dz.sum(perChannel, false)));
            if (gw != null) gw.copyFrom(gw.add(dz.mul(xhat).sum(perChannel, false)));
            Tensor dxhat = w == null ? dz : dz.mul(w.reshape(channelShape(x.dim(), x.size(1))));
            be.layerNormBackward(x.reshape(n * groups, len), null, mean.reshape(n * groups), rstd.reshape(n * groups),
                    dxhat.contiguous().reshape(n * groups, len), gx.reshape(n * groups, len), null, null);
        }
    }

    private static Tensor affine(Tensor xhat, Tensor w, Tensor b) {
        int[] shape = channelShape(xhat.dim(), xhat.size(1));
        Tensor y = xhat;
        if (w != null) y = y.mul(w.to(DType.F32).reshape(shape));
        if (b != null) y = y.add(b.to(DType.F32).reshape(shape));
        return y;
    }

    private static Tensor activation(Tensor y, boolean silu) { return silu ? y.silu() : y; }

    /** [1, C, 1, ...]: a per-channel tensor broadcast over x's dims. */
    private static int[] channelShape(int dims, int c) {
        int[] s = new int[dims];
        Arrays.fill(s, 1);
        s[1] = c;
        return s;
    }

    /** Every dim but the channels: what the per-channel gradient sums over. */
    private static int[] perChannelDims(int dims) {
        int[] d = new int[dims - 1];
        d[0] = 0;
        for (int i = 2; i < dims; i++) d[i - 1] = i;
        return d;
    }
}
