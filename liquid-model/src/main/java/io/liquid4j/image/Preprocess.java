package io.liquid4j.image;

/** The geometric steps of Chameleon's and Liquid's image pipelines. */
public final class Preprocess {
    /** Liquid's padding colour for the understanding path (the mean pixel of its training data). */
    public static final int[] LIQUID_PAD = {122, 116, 104};

    private Preprocess() {}

    /**
     * Chameleon's tokenizer input: short side → size (new sides round(scale·w), round(scale·h)
     * with Python's round-half-even), Lanczos, then the centre size×size crop at
     * ((W−size)//2, (H−size)//2).
     */
    public static RgbImage chameleon(RgbImage img, int size) {
        double scale = (double) size / Math.min(img.width(), img.height());
        int w = Math.max(size, (int) Math.rint(scale * img.width())), h = Math.max(size, (int) Math.rint(scale * img.height()));
        return centerCrop(Lanczos.resize(img, w, h), size);
    }

    /** The size×size window at ((W−size)//2, (H−size)//2). */
    public static RgbImage centerCrop(RgbImage img, int size) {
        if (img.width() < size || img.height() < size) {
            throw new IllegalArgumentException("cannot crop " + size + "x" + size + " from a " + img.width() + "x" + img.height() + " image");
        }
        return img.crop((img.width() - size) / 2, (img.height() - size) / 2, size, size);
    }

    /** Pads to a square of the longer side with a colour, the image centred on the short axis (LLaVA's expand2square). */
    public static RgbImage padToSquare(RgbImage img, int[] rgb) {
        int w = img.width(), h = img.height();
        if (w == h) return img;
        int s = Math.max(w, h);
        RgbImage out = RgbImage.filled(s, s, rgb[0], rgb[1], rgb[2]);
        if (w > h) out.paste(img, 0, (w - h) / 2);
        else out.paste(img, (h - w) / 2, 0);
        return out;
    }

    /** Liquid's understanding path: pad to a square with {@link #LIQUID_PAD}, then Lanczos to size×size. */
    public static RgbImage liquidSquare(RgbImage img, int size) {
        return Lanczos.resize(padToSquare(img, LIQUID_PAD), size, size);
    }
}
