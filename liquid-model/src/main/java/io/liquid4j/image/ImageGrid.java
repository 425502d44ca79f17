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
        if (images.isEmpty()) throw new IllegalArgumentException("an image grid needs at least one image");
        if (columns <= 0) throw new IllegalArgumentException("columns must be positive");
        int cw = 0, ch = 0;
        for (RgbImage i : images) {
            cw = Math.max(cw, i.width());
            ch = Math.max(ch, i.height());
        }
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        int textH = 16;
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
                while (!cap.isEmpty() && fm.stringWidth(cap) > cw) cap = cap.substring(0, cap.length() - 1);
                g.drawString(cap, x, y + ch + fm.getAscent() + 1);
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
}
