package io.liquid4j.bench;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;

/**
 * One LM-head + cross-entropy training step, shared by {@link XentBench} (JMH) and
 * {@link XentRun} (bench/xent-bench.sh): hidden [n, h] and weight [v, h] (weight ~ N(0, 1/h), so
 * the logits are ~ N(0, 1)), random targets with every 16th row ignored (-100). A step is the
 * forward and the backward of the mean loss, both gradients wanted, then the gradients freed.
 * Paths: "fused" = F.linearCrossEntropy; "unfused" = F.crossEntropy(F.linear(hidden, weight)),
 * which holds the [n, v] logits and their gradient.
 */
final class XentProblem implements AutoCloseable {
    final Tensor hidden, weight, targets;
    final boolean fused;
    final double zLoss, softcap;

    XentProblem(int n, int v, int h, DType weightType, String path, double zLoss, double softcap) {
        if (!path.equals("fused") && !path.equals("unfused")) throw new IllegalArgumentException("path must be fused or unfused, got " + path);
        this.fused = path.equals("fused");
        this.zLoss = zLoss;
        this.softcap = softcap;
        Generator g = new Generator(42);
        try (var _ = GradMode.noGrad()) {
            hidden = Tensor.randn(g, n, h).unscoped().requiresGrad(true);
            // scaled in place and the F32 draw closed at once: no second weight-sized copy inflates the peak RSS
            Tensor w = Tensor.randn(g, v, h).unscoped().affineInPlace(1 / Math.sqrt(h), 0);
            if (weightType != DType.F32) {
                Tensor w16 = w.to(weightType).unscoped();
                w.close();
                w = w16;
            }
            weight = w.requiresGrad(true);
            long[] t = new long[n];
            java.util.Random r = new java.util.Random(7);
            for (int i = 0; i < n; i++) t[i] = i % 16 == 15 ? -100 : r.nextInt(v);
            targets = Tensor.fromArray(t, n).unscoped();
        }
    }

    /** Forward + backward of the mean loss; returns the loss value. */
    double step() {
        try (var _ = TensorScope.open()) {
            Tensor loss;
            if (fused) {
                loss = F.linearCrossEntropy(hidden, weight, targets, -100, zLoss, softcap);
            } else {
                Tensor logits = F.linear(hidden, weight, null);
                if (softcap > 0) logits = logits.div(softcap).tanh().mul(softcap);
                loss = F.crossEntropy(logits, targets, -100, zLoss);
            }
            loss.backward();
            return loss.item();
        } finally {
            hidden.zeroGrad();
            weight.zeroGrad();
        }
    }

    @Override public void close() {
        hidden.close();
        weight.close();
        targets.close();
    }
}
