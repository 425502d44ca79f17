package io.liquid4j.api;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The VQGAN image tokenizer: an image becomes a grid of discrete codes and back. A Liquid model
 * reads and writes images as these codes ({@link LiquidModel#vqgan()} is its own); a VQGAN
 * directory (config.json + model.safetensors, as written by {@code liquid vq train} or
 * {@code liquid convert-weights vqgan}) also loads on its own with {@link #load(Path)}.
 *
 * <pre>{@code
 * Vqgan vq = Vqgan.load(Path.of("vqgan"));
 * int[] codes = vq.encode(ImageIO.read(new File("cat.png")));   // gridRows × gridCols codes, row-major
 * BufferedImage back = vq.decode(codes);
 * }</pre>
 *
 * Not thread-safe: use one handle per thread.
 */
public final class Vqgan {
    private final VQModel model;
    private final Device device;

    private Vqgan(VQModel model, Device device) {
        this.model = model;
        this.device = device;
    }

    /** Loads a VQGAN directory on the CPU, checking the weights for NaN/Inf. */
    public static Vqgan load(Path dir) { return load(dir, Device.CPU, true); }

    /**
     * Loads a VQGAN directory onto {@code device}.
     *
     * @param checkWeights scan the weights for NaN/Inf and non-float dtypes first (cheap; on by default)
     */
    public static Vqgan load(Path dir, Device device, boolean checkWeights) {
        LiquidModel.requireDevice(device);
        VQModel m = VQModel.load(dir, checkWeights);
        if (!device.isCpu()) m.to(null, device);
        return new Vqgan(m, device);
    }

    /** The image side, in pixels, that {@link #encode} feeds the encoder (config.json's resolution). */
    public int resolution() { return model.config().resolution(); }

    /** Codes per image side for images of {@link #resolution()} pixels. */
    public int gridSize() { return model.config().gridSize(resolution()); }

    /** The number of codes in the codebook: every code is in [0, codebookSize). */
    public int codebookSize() { return model.config().nEmbed(); }

    /** The device the weights are on. */
    public Device device() { return device; }

    /** The underlying module (for code that works with tensors: not part of the stable API). */
    public VQModel module() { return model; }

    /** The architecture as read from config.json. */
    public VqConfig config() { return model.config(); }

    /**
     * The codes of an image, row-major, {@code gridSize()²} of them: the short side scaled to
     * {@link #resolution()} (Lanczos) and the centre square cropped, as Chameleon and Liquid's
     * generation data do. Transparent pixels are blended onto white.
     */
    public int[] encode(BufferedImage image) { return encode(ImageFiles.fromBufferedImage(image), false); }

    /**
     * The codes Liquid reads an image by when it answers about it (captioning): the image padded
     * to a square with Liquid's mean colour instead of cropped, then scaled.
     */
    public int[] encodeForUnderstanding(BufferedImage image) { return encode(ImageFiles.fromBufferedImage(image), true); }

    int[] encode(RgbImage img, boolean pad) {
        RgbImage square = pad ? Preprocess.liquidSquare(img, resolution()) : Preprocess.chameleon(img, resolution());
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            long[] codes = model.encode(ImageTensors.toTensor(square).to(device)).toLongArray();
            return Arrays.stream(codes).mapToInt(Math::toIntExact).toArray();
        }
    }

    /** The image of a square code grid (gridSize² codes, row-major), gridSize · 2^k pixels a side. */
    public BufferedImage decode(int[] codes) {
        int side = (int) Math.round(Math.sqrt(codes.length));
        if (side * side != codes.length) throw new IllegalArgumentException(codes.length + " codes are not a square grid: use decode(codes, rows, cols)");
        return decode(codes, side, side);
    }

    /** The image of a rows × cols code grid (row-major). */
    public BufferedImage decode(int[] codes, int rows, int cols) {
        if (rows <= 0 || cols <= 0 || (long) rows * cols != codes.length) {
            throw new IllegalArgumentException(codes.length + " codes do not fill a " + rows + "x" + cols + " grid");
        }
        long[] ids = new long[codes.length];
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < 0 || codes[i] >= codebookSize()) throw new IllegalArgumentException("code " + codes[i] + " at index " + i + " is outside [0, " + codebookSize() + ")");
            ids[i] = codes[i];
        }
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor grid = Tensor.fromArray(ids, 1, rows, cols).to(device);
            return ImageTensors.fromTensor(model.decode(grid), 0).toBufferedImage();
        }
    }
}
