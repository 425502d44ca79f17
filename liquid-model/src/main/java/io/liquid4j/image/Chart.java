package io.liquid4j.image;

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

/**
 * A small line/scatter chart written as PNG (loss curves, the demo report's plots): several
 * named series, linear or log10 axes, a legend. Points that are not finite (or not positive on
 * a log axis) are left out.
 */
public final class Chart {
    private static final int W = 800, H = 450, LEFT = 80, RIGHT = 20, TOP = 34, BOTTOM = 50;
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};

    /** One series: its points, drawn as a line (else as dots), dashed or solid. */
    public record Series(String name, List<double[]> points, boolean line, boolean dashed) {
        public Series {
            points = List.copyOf(points);
        }
    }

    private final String title, xLabel, yLabel;
    private final boolean logX, logY;
    private final List<Series> series = new ArrayList<>();

    public Chart(String title, String xLabel, String yLabel, boolean logX, boolean logY) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
        this.logY = logY;
    }

    /** Adds a series (x, y pairs) drawn as a solid line. */
    public Chart line(String name, List<double[]> points) {
        series.add(new Series(name, points, true, false));
        return this;
    }

    /** Adds a series drawn as a dashed line (fits, references). */
    public Chart dashed(String name, List<double[]> points) {
        series.add(new Series(name, points, true, true));
        return this;
    }

    /** Adds a series drawn as dots. */
    public Chart dots(String name, List<double[]> points) {
        series.add(new Series(name, points, false, false));
        return this;
    }

    private double tx(double x) { return logX ? Math.log10(x) : x; }

    private double ty(double y) { return logY ? Math.log10(y) : y; }

    private boolean usable(double[] p) {
        return Double.isFinite(p[0]) && Double.isFinite(p[1]) && (!logX || p[0] > 0) && (!logY || p[1] > 0);
    }

    /** The chart as an image (blank axes when there is no usable point). */
    public BufferedImage render() {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (!usable(p)) continue;
                x0 = Math.min(x0, tx(p[0]));
                x1 = Math.max(x1, tx(p[0]));
                y0 = Math.min(y0, ty(p[1]));
                y1 = Math.max(y1, ty(p[1]));
            }
        }
        if (x0 > x1) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (!logY && y0 > 0) y0 = 0;                       // linear losses read best from zero
        if (x1 - x0 < 1e-12) { x0 -= 0.5; x1 += 0.5; }
        if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
        double pad = (y1 - y0) * 0.05;
        y1 += pad;
        if (logY) y0 -= pad;
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, TOP, pw, ph);
        for (int i = 0; i <= 4; i++) {
            double vy = y0 + (y1 - y0) * i / 4, vx = x0 + (x1 - x0) * i / 4;
            int y = TOP + ph - (int) Math.round(ph * i / 4.0), x = LEFT + (int) Math.round(pw * i / 4.0);
            g.drawString(label(logY ? Math.pow(10, vy) : vy), 8, y + 4);
            g.drawString(label(logX ? Math.pow(10, vx) : vx), x - 14, H - BOTTOM + 18);
        }
        g.drawString(xLabel + (logX ? " (log)" : ""), LEFT + pw / 2 - 30, H - 12);
        g.drawString(yLabel + (logY ? " (log)" : ""), LEFT, TOP - 6);
        g.setColor(Color.BLACK);
        g.drawString(title, LEFT, 16);
        int legendY = TOP + 16;
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            Color c = PALETTE[si % PALETTE.length];
            g.setColor(c);
            g.setStroke(s.dashed() ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f) : new BasicStroke(1.5f));
            int px = -1, py = -1;
            for (double[] p : s.points()) {
                if (!usable(p)) continue;
                int x = LEFT + (int) Math.round(pw * (tx(p[0]) - x0) / (x1 - x0));
                int y = TOP + ph - (int) Math.round(ph * (ty(p[1]) - y0) / (y1 - y0));
                if (!s.line()) g.fillOval(x - 3, y - 3, 6, 6);
                else if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            if (series.size() > 1 || !s.name().isEmpty()) {
                g.drawLine(W - RIGHT - 190, legendY - 4, W - RIGHT - 170, legendY - 4);
                g.setColor(Color.DARK_GRAY);
                g.drawString(s.name(), W - RIGHT - 165, legendY);
                legendY += 16;
            }
        }
        g.dispose();
        return img;
    }

    /** Renders and writes the chart to png (temp file + rename). */
    public void write(Path png) {
        BufferedImage img = render();
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        try {
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(png + ": cannot write the chart: " + e.getMessage(), e);
        }
    }

    private static String label(double v) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) return String.format(Locale.ROOT, "%.2e", v);
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
