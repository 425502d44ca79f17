package io.liquid4j.tensor;

/** The composed reference of {@link Backend#rope}: the rotate-half formula as F32 elementwise ops and a concatenation. */
final class RopeReference {
    private RopeReference() {}

    static void apply(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor xf = x.to(DType.F32);
            Tensor s = inverse ? sin.neg() : sin;
            int half = x.size(-1) / 2;
            Tensor x1 = xf.narrow(-1, 0, half), x2 = xf.narrow(-1, half, half);
            out.copyFrom(Tensor.cat(-1, x1.mul(cos).sub(x2.mul(s)), x2.mul(cos).add(x1.mul(s))));
        }
    }
}
