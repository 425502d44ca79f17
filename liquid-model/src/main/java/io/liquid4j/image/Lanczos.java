package io.liquid4j.image;

/**
 * Resizing with PIL's LANCZOS filter, reproducing Pillow's ImagingResample for 8-bit images: a
 * 3-lobed windowed sinc whose support widens by the scale when shrinking, coefficients normalised
 * per output pixel then turned into 22-bit fixed point, the horizontal pass first with its result
 * rounded and clipped to 8 bits, then the vertical pass.
 */
public final class Lanczos {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 3.0;

    private Lanczos() {}

    public static RgbImage resize(RgbImage src, int width, int height) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        RgbImage img = src;
        if (width != img.width()) img = horizontal(img, width);
        if (height != img.height()) img = vertical(img, height);
        return img == src ? new RgbImage(src.width(), src.height(), src.data().clone()) : img;
    }

    /** Fixed-point taps of every output pixel: bounds[2i] = first input, bounds[2i+1] = count, taps in kk[i·ksize ..]. */
    private record Coeffs(int ksize, int[] bounds, int[] kk) {}

    private static double sinc(double x) {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.sin(x) / x;
    }

    private static double lanczos(double x) {
        return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
    }

    private static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] k = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);     // C's truncating cast, as Pillow
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                k[x] = lanczos((x + xmin - center + 0.5) * ss);
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk);
    }

    private static byte clip8(long acc) {
        long v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private static RgbImage horizontal(RgbImage in, int outW) {
        int inW = in.width(), h = in.height();
        Coeffs c = coeffs(inW, outW);
        byte[] src = in.data(), dst = new byte[outW * h * 3];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[2 * xx], n = c.bounds[2 * xx + 1], kb = xx * c.ksize;
                for (int ch = 0; ch < 3; ch++) {
                    long acc = 1L << (PRECISION_BITS - 1);
                    for (int x = 0; x < n; x++) acc += (long) (src[(y * inW + xmin + x) * 3 + ch] & 0xFF) * c.kk[kb + x];
                    dst[(y * outW + xx) * 3 + ch] = clip8(acc);
                }
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH) {
        int w = in.width(), inH = in.height();
        Coeffs c = coeffs(inH, outH);
        byte[] src = in.data(), dst = new byte[w * outH * 3];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[2 * yy], n = c.bounds[2 * yy + 1], kb = yy * c.ksize;
            for (int i = 0; i < w * 3; i++) {
                long acc = 1L << (PRECISION_BITS - 1);
                for (int y = 0; y < n; y++) acc += (long) (src[(ymin + y) * w * 3 + i] & 0xFF) * c.kk[kb + y];
                dst[yy * w * 3 + i] = clip8(acc);
            }
        }
        return new RgbImage(w, outH, dst);
    }
}
