package io.liquid4j.liquid.train;

import io.liquid4j.image.Chart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run's loss.png: the "loss" column of its metrics.csv against "step" (rows whose "skipped"
 * column is 1 left out). Works for `liquid train` and `liquid vq train` runs alike, since it finds
 * the columns by their header names.
 */
public final class LossPlot {
    private LossPlot() {}

    /** Redraws png from the metrics file (does nothing before the first row). */
    public static void draw(Path metrics, Path png) {
        draw(metrics, png, "training loss (CE + z-loss)");
    }

    /** As {@link #draw(Path, Path)} with a title. */
    public static void draw(Path metrics, Path png, String title) {
        List<double[]> points = read(metrics, "loss");
        if (points.isEmpty()) return;
        new Chart(title, "step", "loss", false, false).line("", points).write(png);
    }

    /** (step, value) of one column of a metrics CSV, skipped rows and non-numbers left out; empty when the file is missing. */
    public static List<double[]> read(Path metrics, String column) {
        List<double[]> points = new ArrayList<>();
        try {
            if (!Files.exists(metrics)) return points;
            List<String> lines = Files.readAllLines(metrics);
            if (lines.isEmpty()) return points;
            List<String> header = Arrays.asList(lines.getFirst().split(","));
            int step = header.indexOf("step"), col = header.indexOf(column), skipped = header.indexOf("skipped");
            if (step < 0 || col < 0) throw new IllegalStateException("no \"step\" or \"" + column + "\" column in " + header);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                if (f.length <= Math.max(step, col) || (skipped >= 0 && skipped < f.length && f[skipped].equals("1"))) continue;
                double v = Double.parseDouble(f[col]);
                if (Double.isFinite(v)) points.add(new double[] {Double.parseDouble(f[step]), v});
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(metrics + ": cannot read column " + column + ": " + e.getMessage(), e);
        }
        return points;
    }
}
