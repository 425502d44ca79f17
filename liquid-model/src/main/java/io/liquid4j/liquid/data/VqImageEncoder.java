package io.liquid4j.liquid.data;

import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import java.nio.file.Path;

/**
 * Liquid's generation-data image pipeline: Lanczos resize of the short side to the VQGAN's
 * resolution, centre crop, VQGAN codes. Images whose aspect ratio is over 2 are dropped, as in
 * the paper's data (a centre crop would lose most of them).
 */
public final class VqImageEncoder {
    /** Images with a longer side more than this many times the shorter one are dropped. */
    public static final double MAX_ASPECT_RATIO = 2.0;

    private final VQModel model;
    private final Device device;

    public VqImageEncoder(VQModel model, Device device) {
        this.model = model;
        this.device = device;
    }

    /** The codes of the image in {@code file} (row-major grid), or null when it is dropped for its aspect ratio. */
    public int[] encode(Path file) {
        RgbImage img = ImageFiles.read(file);
        int lo = Math.min(img.width(), img.height()), hi = Math.max(img.width(), img.height());
        if (hi > MAX_ASPECT_RATIO * lo) return null;
        RgbImage square = Preprocess.chameleon(img, model.config().resolution());
        try (var ng = GradMode.noGrad()) {
            long[] codes = model.encode(ImageTensors.toTensor(square).to(device)).toLongArray();
            int[] out = new int[codes.length];
            for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(codes[i]);
            return out;
        }
    }
}
