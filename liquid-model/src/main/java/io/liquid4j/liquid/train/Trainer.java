package io.liquid4j.liquid.train;

import io.liquid4j.liquid.data.Batch;
import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.nn.optim.GradClip;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.List;

/**
 * One optimizer step of Liquid training: the micro-batches of a step are run forward and
 * backward one after the other (gradient accumulation), each loss weighted by its share of the
 * step's counted tokens, so the step's loss is CE + z-loss averaged over ALL its counted tokens
 * (token-weighted, not a mean of micro-batch means). Then global-norm clipping, the schedule's
 * learning rate, and AdamW as PyTorch's (β 0.9/0.999, ε 1e-8, decoupled decay; F32 master
 * copies of BF16 weights). A step whose loss or gradient norm is not finite is skipped: nothing
 * is applied, the gradients are dropped, and the result says why.
 */
public final class Trainer implements AutoCloseable {
    /** maxGradNorm 0 = no clipping (the norm is still measured and reported). */
    public record Options(double maxGradNorm, double zLoss, double weightDecay, LrSchedule schedule) {}

    /** What a step did; loss and gradNorm are NaN when they could not be measured. */
    public record StepResult(int step, double loss, double lr, double gradNorm, long tokens, boolean skipped, String why) {}

    private final CausalLM model;
    private final Options options;
    private final AdamW optimizer;
    private int steps;

    public Trainer(CausalLM model, Options options) {
        this.model = model;
        this.options = options;
        this.optimizer = new AdamW(model.trainableParameters(), options.schedule().lr(), 0.9, 0.999, 1e-8, options.weightDecay());
    }

    /** Steps taken (applied or skipped). */
    public int steps() { return steps; }

    public AdamW optimizer() { return optimizer; }

    /** Restores the step counter (resume; the optimizer's own state is restored through {@link #optimizer()}). */
    public void setSteps(int s) { steps = s; }

    /** One optimizer step over the micro-batches. */
    public StepResult step(List<Batch> microBatches) {
        int index = steps++;
        double lr = options.schedule().at(index);
        long total = 0;
        for (Batch b : microBatches) total += b.countedTokens();
        if (total == 0) return new StepResult(index, Double.NaN, lr, Double.NaN, 0, true, "no counted tokens in this step's batches");
        optimizer.zeroGrad();
        Device dev = model.device();
        double loss;
        // the micro-batch losses add up on the device: one host read per step, not one per micro-batch
        try (Tensor sum = Tensor.zeros(DType.F32, dev, 1)) {
            for (Batch b : microBatches) {
                if (b.countedTokens() == 0) continue;
                try (var _ = TensorScope.open()) {
                    LossRows rows = dev.isCpu() ? LossRows.compacted(b) : LossRows.of(b);
                    Tensor ids = Tensor.fromArray(rows.ids(), rows.rows(), rows.length()).to(dev);
                    Tensor positions = Tensor.fromArray(rows.positions(), rows.positions().length).to(dev);
                    Tensor targets = Tensor.fromArray(rows.targets(), rows.targets().length).to(dev);
                    Tensor part = model.countedLoss(ids, positions, targets, rows.mask(), rows.segments(), options.zLoss())
                            .mul((double) b.countedTokens() / total);
                    part.backward();
                    sum.addInPlace(part.detach().reshape(1));
                }
            }
            loss = sum.item();
        }
        if (!Double.isFinite(loss)) {
            optimizer.zeroGrad();
            return new StepResult(index, loss, lr, Double.NaN, total, true, "loss is " + loss);
        }
        double norm = GradClip.clipGradNorm(model.trainableParameters(), options.maxGradNorm() > 0 ? options.maxGradNorm() : Double.POSITIVE_INFINITY);
        if (!Double.isFinite(norm)) {
            optimizer.zeroGrad();
            return new StepResult(index, loss, lr, norm, total, true, "gradient norm is " + norm);
        }
        optimizer.setLearningRate(lr);
        optimizer.step();
        optimizer.zeroGrad();
        return new StepResult(index, loss, lr, norm, total, false, null);
    }

    /** The weights' dtype the optimizer writes (for messages). */
    public DType weightDType() { return model.trainableParameters().getFirst().value().dtype(); }

    @Override public void close() { optimizer.close(); }
}
