package io.liquid4j.image;

import io.liquid4j.tensor.Tensor;
import java.util.List;

/** Between 8-bit RGB images and the VQGAN's [N, 3, H, W] F32 layout in [-1, 1]. */
public final class ImageTensors {
    private ImageTensors() {}

    /** One image as [1, 3, H, W] with x/255·2 − 1. */
    public static Tensor toTensor(RgbImage img) {
        return toTensor(List.of(img));
    }

    /** Images of one size as one batch [N, 3, H, W] with x/255·2 − 1. */
    public static Tensor toTensor(List<RgbImage> imgs) {
        if (imgs.isEmpty()) throw new IllegalArgumentException("no images to batch");
        int w = imgs.get(0).width(), h = imgs.get(0).height(), plane = w * h;
        float[] out = new float[imgs.size() * 3 * plane];
        for (int n = 0; n < imgs.size(); n++) {
            RgbImage img = imgs.get(n);
            if (img.width() != w || img.height() != h) {
                throw new IllegalArgumentException("a batch of images needs one size: image " + n + " is " + img.width() + "x" + img.height() + ", image 0 " + w + "x" + h);
            }
            byte[] px = img.data();
            int base = n * 3 * plane;
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 3; c++) out[base + c * plane + p] = (px[p * 3 + c] & 0xFF) / 255f * 2 - 1;
            }
        }
        return Tensor.fromArray(out, imgs.size(), 3, h, w);
    }

    /** Image n of [N, 3, H, W]: clamp to [-1, 1], (x+1)/2·255, truncated to uint8. */
    public static RgbImage fromTensor(Tensor t, int n) {
        if (t.dim() != 4 || t.size(1) != 3) throw new IllegalArgumentException("expected images [N, 3, H, W], got " + t.describe());
        int h = t.size(2), w = t.size(3), plane = w * h;
        float[] v = t.select(0, n).contiguous().toFloatArray();
        byte[] px = new byte[3 * plane];
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                float x = Math.max(-1f, Math.min(1f, v[c * plane + p]));
                px[p * 3 + c] = (byte) (int) ((x + 1) / 2 * 255);
            }
        }
        return new RgbImage(w, h, px);
    }

    /** PSNR in dB between two images of one size (infinite when identical). */
    public static double psnr(RgbImage a, RgbImage b) {
        if (a.width() != b.width() || a.height() != b.height()) throw new IllegalArgumentException("PSNR of images of different sizes");
        byte[] x = a.data(), y = b.data();
        double se = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (x[i] & 0xFF) - (y[i] & 0xFF);
            se += d * d;
        }
        double mse = se / x.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }
}
