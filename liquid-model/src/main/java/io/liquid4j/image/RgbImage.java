package io.liquid4j.image;

import java.awt.image.BufferedImage;

/** An 8-bit RGB image, pixels row-major and interleaved (r, g, b), on the heap. */
public final class RgbImage {
    private final int width, height;
    private final byte[] rgb;

    public RgbImage(int width, int height, byte[] rgb) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (rgb.length != (long) width * height * 3) throw new IllegalArgumentException(rgb.length + " bytes do not hold a " + width + "x" + height + " RGB image");
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /** A width×height image filled with one colour. */
    public static RgbImage filled(int width, int height, int r, int g, int b) {
        byte[] px = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) r;
            px[i + 1] = (byte) g;
            px[i + 2] = (byte) b;
        }
        return new RgbImage(width, height, px);
    }

    public int width() { return width; }

    public int height() { return height; }

    /** The backing bytes (not a copy). */
    public byte[] data() { return rgb; }

    /** Channel c (0 r, 1 g, 2 b) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) { return rgb[(y * width + x) * 3 + c] & 0xFF; }

    /** The w×h window at (x0, y0); it must lie inside the image. */
    public RgbImage crop(int x0, int y0, int w, int h) {
        if (x0 < 0 || y0 < 0 || x0 + w > width || y0 + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + x0 + ", " + y0 + ") leaves the " + width + "x" + height + " image");
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) System.arraycopy(rgb, ((y0 + y) * width + x0) * 3, out, y * w * 3, w * 3);
        return new RgbImage(w, h, out);
    }

    /** Copies src into this image with its top-left corner at (x0, y0), clipped to this image. */
    public void paste(RgbImage src, int x0, int y0) {
        for (int y = Math.max(0, -y0); y < src.height && y0 + y < height; y++) {
            int xs = Math.max(0, -x0), xe = Math.min(src.width, width - x0);
            if (xe > xs) System.arraycopy(src.rgb, (y * src.width + xs) * 3, rgb, ((y0 + y) * width + x0 + xs) * 3, (xe - xs) * 3);
        }
    }

    public BufferedImage toBufferedImage() {
        BufferedImage bi = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                row[x] = (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
            }
            bi.setRGB(0, y, width, 1, row, 0, width);
        }
        return bi;
    }
}
