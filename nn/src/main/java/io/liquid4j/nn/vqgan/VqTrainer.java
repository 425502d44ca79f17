package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.nn.optim.GradClip;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.SplittableRandom;

/**
 * Training steps of our own VQGAN: {@link VqLoss} (reconstruction + codebook + β·commitment, no
 * perceptual or GAN term) with AdamW, and dead-code restarts. A small VQGAN trained briefly
 * leaves most of its codebook unused (the first codes that win keep winning); every
 * {@code restartEvery} steps each code that no latent chose since the last restart is moved onto
 * a latent of the current batch (plus a little noise), drawn in proportion to how badly the
 * codebook represents it: the k-means-style remedy of Jukebox, seeded like k-means++.
 * Restarted rows keep their AdamW moments.
 */
public final class VqTrainer implements AutoCloseable {
    /**
     * @param lr             AdamW learning rate (until {@link #setLearningRate} changes it)
     * @param beta           weight of the commitment loss (taming: 0.25)
     * @param reconstruction L1 or L2 pixel loss
     * @param restartEvery   steps between dead-code restarts (0: never)
     * @param maxGradNorm    global gradient-norm clip (0: off)
     * @param seed           seeds the choice of latents for restarted codes
     */
    public record Options(double lr, double beta, VqLoss.Reconstruction reconstruction, int restartEvery, double maxGradNorm, long seed) {
        public Options {
            if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
            if (!(beta >= 0)) throw new IllegalArgumentException("commitment weight must be >= 0, got " + beta);
            if (restartEvery < 0) throw new IllegalArgumentException("restartEvery must be >= 0, got " + restartEvery);
        }
    }

    /** One step's losses (the total is what was minimised), and how many codes were restarted after it. */
    public record StepResult(double total, double reconstruction, double codebook, double commitment, int restarted) {}

    private final VQModel model;
    private final Options options;
    private final AdamW optimizer;
    private final CodebookUsage sinceRestart;
    private final SplittableRandom rng;
    private int steps;

    public VqTrainer(VQModel model, Options options) {
        this.model = model;
        this.options = options;
        model.train(true);
        optimizer = new AdamW(model.trainableParameters(), options.lr(), 0.9, 0.99, 1e-8, 0.0);
        sinceRestart = new CodebookUsage(model.quantizer().size());
        rng = new SplittableRandom(options.seed());
    }

    public int steps() { return steps; }

    /** The learning rate of the next steps (a schedule around the constant {@link Options#lr()}). */
    public void setLearningRate(double lr) {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
        optimizer.setLearningRate(lr);
    }

    /** One optimizer step on images [B, C, H, W] in [-1, 1] (on the model's device). */
    public StepResult step(Tensor images) {
        try (var _ = TensorScope.open()) {
            optimizer.zeroGrad();
            VQModel.Reconstruction out = model.forward(images);
            VqLoss.Parts loss = VqLoss.of(images, out, options.reconstruction(), options.beta());
            double total = loss.total().item();
            if (!Double.isFinite(total)) throw new IllegalStateException("VQGAN loss is " + total + " at step " + (steps + 1) + " (lower the learning rate)");
            loss.total().backward();
            if (options.maxGradNorm() > 0) GradClip.clipGradNorm(model.trainableParameters(), options.maxGradNorm());
            optimizer.step();
            steps++;
            VectorQuantizer.Quantized q = out.quantized();
            sinceRestart.add(q.codes());
            int restarted = 0;
            if (options.restartEvery() > 0 && steps % options.restartEvery() == 0) {
                restarted = restartDeadCodes(q.latent(), q.codes());
                sinceRestart.reset();
            }
            return new StepResult(total, loss.reconstruction().item(), loss.codebook().item(), loss.commitment().item(), restarted);
        }
    }

    /**
     * Moves every code unused since the last restart onto a latent vector of this batch, drawn
     * with probability proportional to its squared quantization error (k-means++ seeding): the
     * worst-represented latents get the spare codes. With uniform draws most restarts land on
     * the commonest content (a small image's background) and rare content (a small shape's
     * colour) never gets a code of its own.
     */
    private int restartDeadCodes(Tensor latent, Tensor codes) {
        int k = model.quantizer().size(), d = latent.size(1);
        float[] rows, assigned;
        try (var _ = GradMode.noGrad()) {
            rows = latent.detach().permute(0, 2, 3, 1).contiguous().to(Device.CPU).toFloatArray();   // NHWC rows
            assigned = model.quantizer().lookup(codes).permute(0, 2, 3, 1).contiguous().to(Device.CPU).toFloatArray();
        }
        int m = rows.length / d, restarted = 0;
        double[] cumulative = new double[m];
        double total = 0;
        for (int r = 0; r < m; r++) {
            double e = 0;
            for (int j = 0; j < d; j++) {
                double diff = rows[r * d + j] - assigned[r * d + j];
                e += diff * diff;
            }
            total += e;
            cumulative[r] = total;
        }
        Tensor codebook = model.quantizer().codebook();
        float[] book = codebook.to(Device.CPU).to(DType.F32).toFloatArray();
        for (int c = 0; c < k; c++) {
            if (sinceRestart.count(c) > 0) continue;
            int r = total > 0 ? pick(cumulative, rng.nextDouble() * total) : rng.nextInt(m);
            for (int j = 0; j < d; j++) book[c * d + j] = rows[r * d + j] + (float) (1e-3 * (rng.nextDouble() * 2 - 1));
            restarted++;
        }
        if (restarted > 0) {
            try (var _ = GradMode.noGrad()) {
                codebook.copyFrom(Tensor.fromArray(book, k, d).to(codebook.device()).to(codebook.dtype()));
            }
        }
        return restarted;
    }

    /** The first index whose cumulative weight exceeds u. */
    private static int pick(double[] cumulative, double u) {
        int lo = 0, hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    @Override public void close() {
        optimizer.close();
        model.train(false);
    }
}
