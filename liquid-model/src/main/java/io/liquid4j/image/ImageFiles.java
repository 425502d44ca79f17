package io.liquid4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads PNG/JPEG (grey, grey+alpha, RGB, RGBA, palette) into {@link RgbImage}, blending any
 * transparency onto white as Chameleon's tokenizer does, and writes PNG. The size is checked from
 * the header before decoding, so an oversized image is a clear error, never an OutOfMemoryError.
 */
public final class ImageFiles {
    /** Default pixel limit: 64 megapixels (an 8192×8192 image). */
    public static final long DEFAULT_MAX_PIXELS = 64L << 20;

    private ImageFiles() {}

    public static RgbImage read(Path file) { return read(file, DEFAULT_MAX_PIXELS); }

    /** Decodes file; more than maxPixels pixels, a corrupt file or an unknown format is an error naming the file. */
    public static RgbImage read(Path file, long maxPixels) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such image file");
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) throw new IllegalArgumentException(file + ": not a PNG or JPEG image (no decoder recognises it)");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w * h > maxPixels) {
                    throw new IllegalArgumentException(file + ": image is " + w + "x" + h + " = " + w * h
                            + " pixels, over the limit of " + maxPixels);
                }
                return whiten(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith(file.toString())) throw iae;
            throw new IllegalArgumentException(file + ": cannot decode image (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        }
    }

    /** An image already in memory, as {@link #read} decodes a file (transparency blended onto white). */
    public static RgbImage fromBufferedImage(BufferedImage image) { return whiten(image); }

    /**
     * RGB with transparency blended onto white: (1−α)·255 + α·rgb with α = a/255, truncated
     * (Chameleon's _whiten_transparency). Grey images are read from their samples, not through
     * Java's colour conversion, which would apply a gamma curve that PIL does not.
     */
    static RgbImage whiten(BufferedImage bi) {
        int w = bi.getWidth(), h = bi.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        ColorModel cm = bi.getColorModel();
        Raster r = bi.getRaster();
        boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel);
        int bits = cm.getComponentSize(0);
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            if (!grey) bi.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int a, red, gr, bl;
                if (grey) {
                    int v = scale8(r.getSample(x, y, 0), bits);
                    red = gr = bl = v;
                    a = cm.hasAlpha() ? scale8(r.getSample(x, y, 1), cm.getComponentSize(1)) : 255;
                } else {
                    int p = argb[x];
                    a = cm.hasAlpha() ? p >>> 24 : 255;
                    red = p >> 16 & 0xFF;
                    gr = p >> 8 & 0xFF;
                    bl = p & 0xFF;
                }
                int i = (y * w + x) * 3;
                out[i] = blend(red, a);
                out[i + 1] = blend(gr, a);
                out[i + 2] = blend(bl, a);
            }
        }
        return new RgbImage(w, h, out);
    }

    private static int scale8(int v, int bits) { return bits == 8 ? v : bits > 8 ? v >> (bits - 8) : v * 255 / ((1 << bits) - 1); }

    private static byte blend(int c, int a) {
        if (a == 255) return (byte) c;
        double alpha = a / 255.0;
        return (byte) (int) ((1 - alpha) * 255 + alpha * c);
    }

    /** Writes a PNG (parent directories are created). */
    public static void writePng(RgbImage img, Path file) {
        // ImageIO.write(…, File) deletes what is there first, an empty directory included: refuse
        // directories, and write beside the target then rename, so a failure leaves no half file
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + " is a directory: give a file name for the PNG");
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = (parent != null ? parent : Path.of(".")).resolve(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            if (parent != null) Files.createDirectories(parent);
            if (!ImageIO.write(img.toBufferedImage(), "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error is the one to report
            }
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new UncheckedIOException(file + ": cannot write PNG: " + why, e);
        }
    }
}
