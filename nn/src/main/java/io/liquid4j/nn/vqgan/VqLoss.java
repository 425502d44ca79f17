package io.liquid4j.nn.vqgan;

import io.liquid4j.tensor.Tensor;

/**
 * Training objective for our own VQGANs (no perceptual or GAN term): reconstruction (L1 or L2,
 * mean over pixels) + codebook loss + β · commitment loss.
 */
public final class VqLoss {
    public enum Reconstruction { L1, L2 }

    private VqLoss() {}

    /** The parts of one step's loss; total is what backward() is called on. */
    public record Parts(Tensor total, Tensor reconstruction, Tensor codebook, Tensor commitment) {}

    public static Parts of(Tensor input, VQModel.Reconstruction out, Reconstruction kind, double beta) {
        Tensor diff = out.image().sub(input);
        Tensor rec = kind == Reconstruction.L1 ? diff.abs().mean() : diff.square().mean();
        VectorQuantizer.Quantized q = out.quantized();
        Tensor total = rec.add(q.codebookLoss()).add(q.commitLoss().mul(beta));
        return new Parts(total, rec, q.codebookLoss(), q.commitLoss());
    }
}
