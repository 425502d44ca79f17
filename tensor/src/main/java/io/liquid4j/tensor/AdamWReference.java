package io.liquid4j.tensor;

/** The composed reference of {@link Backend#adamwUpdate}: the update as a handful of elementwise tensor ops. */
final class AdamWReference {
    private AdamWReference() {}

    static void update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor master, F.AdamWStep s) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor p = master != null ? master : param;
            Tensor g = grad.dtype() == DType.F32 ? grad : grad.to(DType.F32);
            if (s.weightDecay() != 0) p.mulInPlace(1 - s.lr() * s.weightDecay());
            expAvg.mulInPlace(s.beta1()).addInPlace(g.mul(1 - s.beta1()));
            expAvgSq.mulInPlace(s.beta2()).addInPlace(g.mul(g).mul(1 - s.beta2()));
            p.subInPlace(expAvg.div(expAvgSq.sqrt().div(Math.sqrt(s.biasCorrection2())).add(s.eps())).mul(s.lr() / s.biasCorrection1()));
            if (master != null) param.copyFrom(master);
        }
    }
}
