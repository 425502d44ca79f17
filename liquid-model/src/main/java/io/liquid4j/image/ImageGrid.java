package io.liquid4j.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** A contact sheet for reports: images in rows of `columns` cells, each with a caption line under it. */
public final class ImageGrid {
    private static final int PAD = 4;

    private ImageGrid() {}

    /** Cells are as large as the largest image; captions (may be null or shorter) are cut to the cell width. */
    public static RgbImage compose(List<RgbImage> images, List<String> captions, int columns) {
        return compose(images, captions, columns, 1);
    }

    /**
     * As {@link #compose(List, List, int)}, with captions wrapped at word boundaries onto up to
     * {@code lines} lines under each cell (the last line cut to the cell width).
     */
    public static RgbImage compose(List<RgbImage> images, List<String> captions, int columns, int lines) {
        if (lines <= 0) throw new IllegalArgumentException("caption lines must be positive");
        if (images.isEmpty()) throw new IllegalArgumentException("an image grid needs at least one image");
        if (columns <= 0) throw new IllegalArgumentException("columns must be positive");
        int cw = 0, ch = 0;
        for (RgbImage i : images) {
            cw = Math.max(cw, i.width());
            ch = Math.max(ch, i.height());
        }
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        int textH = 15 * lines + 1;
        int cols = Math.min(columns, images.size()), rows = (images.size() + cols - 1) / cols;
        int w = cols * (cw + PAD) + PAD, h = rows * (ch + textH + PAD) + PAD;
        BufferedImage sheet = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(font);
            g.setColor(Color.BLACK);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < images.size(); i++) {
                int x = PAD + (i % cols) * (cw + PAD), y = PAD + (i / cols) * (ch + textH + PAD);
                g.drawImage(images.get(i).toBufferedImage(), x, y, null);
                String cap = captions != null && i < captions.size() && captions.get(i) != null ? captions.get(i) : "";
                List<String> wrapped = wrap(cap, fm, cw, lines);
                for (int l = 0; l < wrapped.size(); l++) g.drawString(wrapped.get(l), x, y + ch + fm.getAscent() + 1 + 15 * l);
            }
        } finally {
            g.dispose();
        }
        int[] row = new int[w];
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            sheet.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                px[i] = (byte) (row[x] >> 16);
                px[i + 1] = (byte) (row[x] >> 8);
                px[i + 2] = (byte) row[x];
            }
        }
        return new RgbImage(w, h, px);
    }

    /** Words onto at most `lines` lines of at most `width` pixels; the last line takes the rest, cut to fit. */
    private static List<String> wrap(String text, FontMetrics fm, int width, int lines) {
        List<String> out = new java.util.ArrayList<>();
        String rest = text.strip();
        while (!rest.isEmpty() && out.size() < lines - 1) {
            int cut = rest.length();
            while (cut > 0 && fm.stringWidth(rest.substring(0, cut)) > width) {
                int sp = rest.lastIndexOf(' ', cut - 1);
                cut = sp <= 0 ? cut - 1 : sp;
            }
            if (cut <= 0) break;
            out.add(rest.substring(0, cut));
            rest = rest.substring(cut).strip();
        }
        while (!rest.isEmpty() && fm.stringWidth(rest) > width) rest = rest.substring(0, rest.length() - 1);
        if (!rest.isEmpty()) out.add(rest);
        return out;
    }
}
