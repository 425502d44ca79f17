package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/**
 * VectorQuantizer2 (legacy, no remap): each latent vector goes to its nearest codebook entry in
 * plain L2, argmin_j ‖z‖² + ‖e_j‖² − 2·z·e_j. Codes are in raster order over the grid.
 */
public final class VectorQuantizer extends Module {
    /** Weight of the commitment term ‖sg(z_q) − z‖² (taming's beta). */
    public static final double BETA = 0.25;

    private final CodebookEmbedding embedding;
    private final int nEmbed, embedDim;
    private final boolean l2Normalized;

    public VectorQuantizer(int nEmbed, int embedDim, Generator gen) { this(nEmbed, embedDim, false, gen); }

    /**
     * @param l2Normalized quantize directions: latents and codebook rows are scaled to unit length
     *                     before the nearest-neighbour search and the lookup (ViT-VQGAN's cosine
     *                     codebook; bounded VQ losses and better code usage when trained from scratch)
     */
    public VectorQuantizer(int nEmbed, int embedDim, boolean l2Normalized, Generator gen) {
        this.nEmbed = nEmbed;
        this.embedDim = embedDim;
        this.l2Normalized = l2Normalized;
        embedding = child("embedding", new CodebookEmbedding(nEmbed, embedDim, gen));
    }

    public Tensor codebook() { return embedding.weight.value(); }

    /** The rows latents are compared with and replaced by: the codebook, unit-length when l2-normalized. */
    private Tensor entries() {
        Tensor e = codebook().to(DType.F32);
        return l2Normalized ? unit(e, 1) : e;
    }

    /** x scaled to unit length along dim (eps keeps an all-zero vector finite). */
    private static Tensor unit(Tensor x, int dim) {
        return x.div(x.square().sum(dim, true).add(1e-12).sqrt());
    }

    /** z as the quantizer sees it: unit-length along channels when l2-normalized. */
    private Tensor prepared(Tensor z) {
        return l2Normalized ? unit(z, 1) : z;
    }

    public int size() { return nEmbed; }

    /** Nearest codebook indices (I64 [N, H, W]) for latents z [N, embed_dim, H, W]; never differentiable. */
    public Tensor codes(Tensor z) {
        checkLatent(z);
        int n = z.size(0), h = z.size(2), w = z.size(3);
        try (var _ = GradMode.noGrad()) {
            return Inference.step(() -> {
                Tensor flat = prepared(z).permute(0, 2, 3, 1).reshape(n * h * w, embedDim);   // NCHW → rows of NHWC
                Tensor e = entries();
                Tensor zz = flat.square().sum(1, true);                             // [M, 1]
                Tensor ee = e.square().sum(1, false);                               // [K]
                Tensor d = zz.add(ee).sub(flat.matmul(e.t()).mul(2));               // [M, K]
                return d.argmin(1, false).reshape(n, h, w);
            });
        }
    }

    /** Codebook vectors for codes [N, H, W] as a latent [N, embed_dim, H, W] (NHWC → NCHW). */
    public Tensor lookup(Tensor codes) {
        if (codes.dim() != 3) throw new IllegalArgumentException("codes must be [N, H, W], got " + codes.describe());
        int n = codes.size(0), h = codes.size(1), w = codes.size(2);
        Tensor ids = codes.to(DType.I64).reshape(-1);
        long bad = outOfRange(ids);
        if (bad > 0) throw new IllegalArgumentException(bad + " codes lie outside the codebook [0, " + nEmbed + ")");
        return entries().indexSelect(0, ids).reshape(n, h, w, embedDim).permute(0, 3, 1, 2).contiguous();
    }

    private long outOfRange(Tensor ids) {
        try (var _ = GradMode.noGrad()) {
            return (long) (ids.lt(0).to(DType.I64).sum().item() + ids.ge(nEmbed).to(DType.I64).sum().item());
        }
    }

    /**
     * Quantizes z for training: z_q through the straight-through estimator (z + sg(z_q − z)), the
     * codebook loss mean‖z_q − sg(z)‖² and the commitment loss mean‖sg(z_q) − z‖² (unweighted;
     * {@link VqLoss} applies β).
     */
    public Quantized quantize(Tensor z) {
        z = prepared(z);
        Tensor codes = codes(z);
        Tensor zq = lookup(codes);
        Tensor codebookLoss = zq.sub(z.detach()).square().mean();
        Tensor commitLoss = zq.detach().sub(z).square().mean();
        Tensor straight = z.add(zq.detach().sub(z.detach()));
        return new Quantized(straight, codes, codebookLoss, commitLoss, z);
    }

    /**
     * Result of {@link #quantize}: the decoder input, the codes, the two unweighted VQ losses and
     * the latent z that was quantized (what dead codebook entries are restarted from).
     */
    public record Quantized(Tensor zq, Tensor codes, Tensor codebookLoss, Tensor commitLoss, Tensor latent) {}

    private void checkLatent(Tensor z) {
        if (z.dim() != 4 || z.size(1) != embedDim) {
            throw new IllegalArgumentException("quantizer needs latents [N, " + embedDim + ", H, W], got " + z.describe());
        }
    }
}
