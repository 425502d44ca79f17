package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Path;

/**
 * taming-transformers' VQModel: encoder → quant_conv → quantize (codes) and codes → codebook →
 * post_quant_conv → decoder. Parameter names equal the Lightning checkpoint keys.
 */
public final class VQModel extends Module {
    private final VqConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final VectorQuantizer quantize;
    private final Conv2d quantConv, postQuantConv;

    /** A model with seeded random weights (PyTorch's default init). */
    public VQModel(VqConfig config, Generator gen) {
        this.config = config;
        encoder = child("encoder", new Encoder(config, gen));
        decoder = child("decoder", new Decoder(config, gen));
        quantize = child("quantize", new VectorQuantizer(config.nEmbed(), config.embedDim(), config.l2NormalizedCodes(), gen));
        int zOut = config.doubleZ() ? 2 * config.zChannels() : config.zChannels();
        quantConv = child("quant_conv", new Conv2d(zOut, config.embedDim(), 1, 1, 0, gen));
        postQuantConv = child("post_quant_conv", new Conv2d(config.embedDim(), config.zChannels(), 1, 1, 0, gen));
    }

    /** Loads DIR/config.json and DIR/model.safetensors (F32 on the CPU, strict names), in eval mode. */
    public static VQModel load(Path dir) {
        return load(dir, true);
    }

    /** {@link #load(Path)}; checkWeights false skips the non-finite / dtype check of Module.load. */
    public static VQModel load(Path dir, boolean checkWeights) {
        VQModel m = new VQModel(VqConfig.read(dir), new Generator(0));
        try (Checkpoint ckpt = Checkpoint.open(dir.resolve("model.safetensors"))) {
            m.load(ckpt, DType.F32, Device.CPU, true, checkWeights);
        }
        m.train(false);
        return m;
    }

    public VqConfig config() { return config; }

    public VectorQuantizer quantizer() { return quantize; }

    /** Pre-quantization latent h = quant_conv(encoder(x)) [N, embed_dim, H/f, W/f] for x in [-1, 1]. */
    public Tensor encodeLatent(Tensor x) {
        checkImage(x, config.inChannels());
        return Inference.chain(x, encoder::forward, quantConv::forward);
    }

    /** Codes [N, H/f, W/f] (I64, raster order) of images x [N, in_channels, H, W] in [-1, 1]. */
    public Tensor encode(Tensor x) {
        return Inference.chain(x, this::encodeLatent, quantize::codes);
    }

    /** Decodes a quantized (or any) latent [N, embed_dim, h, w] to images (unclamped). */
    public Tensor decodeLatent(Tensor zq) {
        return Inference.chain(zq, postQuantConv::forward, decoder::forward);
    }

    /** Images [N, out_ch, h·f, w·f] (unclamped) for codes [N, h, w]. */
    public Tensor decode(Tensor codes) {
        return Inference.chain(codes, quantize::lookup, this::decodeLatent);
    }

    /** Training forward: reconstruction through the straight-through quantizer, with its losses. */
    public Reconstruction forward(Tensor x) {
        checkImage(x, config.inChannels());
        VectorQuantizer.Quantized q = quantize.quantize(encodeLatent(x));
        return new Reconstruction(decodeLatent(q.zq()), q);
    }

    /** Output of {@link #forward}: the reconstructed images and the quantizer's result. */
    public record Reconstruction(Tensor image, VectorQuantizer.Quantized quantized) {}

    private void checkImage(Tensor x, int channels) {
        int f = config.downFactor();
        if (x.dim() != 4 || x.size(1) != channels || x.size(2) % f != 0 || x.size(3) % f != 0) {
            throw new IllegalArgumentException("VQGAN input must be [N, " + channels + ", H, W] with H and W multiples of "
                    + f + ", got " + x.describe());
        }
    }
}
