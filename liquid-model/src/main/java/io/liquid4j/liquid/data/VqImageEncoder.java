package io.liquid4j.liquid.data;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import java.nio.file.Path;
import java.util.List;

/**
 * Liquid's generation-data image pipeline: Lanczos resize of the short side to the VQGAN's
 * resolution, centre crop, VQGAN codes. Images whose aspect ratio is over 2 are dropped, as in
 * the paper's data (a centre crop would lose most of them). Many images are encoded as one batch
 * ({@link #encodeAll}): at small resolutions a single image is too little work to keep the
 * threads of a convolution busy.
 */
public final class VqImageEncoder {
    /** Images with a longer side more than this many times the shorter one are dropped. */
    public static final double MAX_ASPECT_RATIO = 2.0;
    /** Pixels per encoded batch (4 images at 256², 1 at 512²): bounds the encoder's activations. */
    private static final int BATCH_PIXELS = 1 << 18;
    private static final int MAX_BATCH = 64;

    private final VQModel model;
    private final Device device;

    public VqImageEncoder(VQModel model, Device device) {
        this.model = model;
        this.device = device;
    }

    /** The codes of the image in {@code file} (row-major grid), or null when it is dropped for its aspect ratio. */
    public int[] encode(Path file) {
        RgbImage square = load(file);
        return square == null ? null : encodeAll(List.of(square))[0];
    }

    /**
     * The image in {@code file} resized and cropped to the VQGAN's input, or null when it is dropped
     * for its aspect ratio; an unreadable file throws IllegalArgumentException naming it.
     */
    public RgbImage load(Path file) {
        RgbImage img = ImageFiles.read(file);
        int lo = Math.min(img.width(), img.height()), hi = Math.max(img.width(), img.height());
        if (hi > MAX_ASPECT_RATIO * lo) return null;
        return Preprocess.chameleon(img, model.config().resolution());
    }

    /** How many loaded images one {@link #encodeAll} call should take. */
    public int batchSize() {
        int r = model.config().resolution();
        return Math.max(1, Math.min(MAX_BATCH, BATCH_PIXELS / (r * r)));
    }

    /** The codes (row-major grid) of each image from {@link #load}, encoded as one batch. */
    public int[][] encodeAll(List<RgbImage> squares) {
        try (var _ = GradMode.noGrad()) {
            long[] codes = model.encode(ImageTensors.toTensor(squares).to(device)).toLongArray();
            int per = codes.length / squares.size();
            int[][] out = new int[squares.size()][per];
            for (int n = 0; n < out.length; n++) {
                for (int i = 0; i < per; i++) out[n][i] = Math.toIntExact(codes[n * per + i]);
            }
            return out;
        }
    }
}
