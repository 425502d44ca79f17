package io.liquid4j.liquid.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** RUN/loss.png: the training loss per step from metrics.csv (skipped steps left out), with axes and labels. */
public final class LossPlot {
    private static final int W = 800, H = 450, LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 50;

    private LossPlot() {}

    /** Redraws png from the metrics file (does nothing before the first row). */
    public static void draw(Path metrics, Path png) {
        List<double[]> points = new ArrayList<>();
        try {
            if (!Files.exists(metrics)) return;
            List<String> lines = Files.readAllLines(metrics);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.split(",");
                if (f.length < 7 || f[6].equals("1")) continue;
                double loss = Double.parseDouble(f[1]);
                if (Double.isFinite(loss)) points.add(new double[] {Integer.parseInt(f[0]), loss});
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(metrics + ": cannot plot: " + e.getMessage(), e);
        }
        if (points.isEmpty()) return;
        double x0 = points.getFirst()[0], x1 = Math.max(points.getLast()[0], x0 + 1), y0 = 0, y1 = 0;
        for (double[] p : points) y1 = Math.max(y1, p[1]);
        y1 = y1 <= 0 ? 1 : y1 * 1.05;
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        g.drawRect(LEFT, TOP, pw, ph);
        for (int i = 0; i <= 4; i++) {
            double v = y0 + (y1 - y0) * i / 4;
            int y = TOP + ph - (int) Math.round(ph * (v - y0) / (y1 - y0));
            g.drawString(String.format(Locale.ROOT, "%.3g", v), 8, y + 4);
            double s = x0 + (x1 - x0) * i / 4;
            int x = LEFT + (int) Math.round(pw * (s - x0) / (x1 - x0));
            g.drawString(String.format(Locale.ROOT, "%.0f", s), x - 10, H - BOTTOM + 18);
        }
        g.drawString("step", LEFT + pw / 2 - 12, H - 12);
        g.drawString("training loss (CE + z-loss)", LEFT, 20);
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(1.5f));
        int px = -1, py = -1;
        for (double[] p : points) {
            int x = LEFT + (int) Math.round(pw * (p[0] - x0) / (x1 - x0));
            int y = TOP + ph - (int) Math.round(ph * (p[1] - y0) / (y1 - y0));
            if (px >= 0) g.drawLine(px, py, x, y);
            else g.fillOval(x - 2, y - 2, 4, 4);
            px = x;
            py = y;
        }
        g.dispose();
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        try {
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(png + ": " + e.getMessage(), e);
        }
    }
}
