package io.liquid4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr for step loops: bar, steps, steps/s and ETA, redrawn at most 10 times a second. */
public final class StepProgress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;

    public StepProgress(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    public void update(int done) { update(done, ""); }

    /** With a short status (e.g. the loss) after the rate. */
    public void update(int done, String status) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return;
        draw(now, done, status);
    }

    /** Draws {@code done} now, even between redraws, and ends the line (also when the loop stopped short of the total). */
    public void finish(int done) {
        draw(System.nanoTime(), done, "");
        if (done < total) out.println();
        out.flush();
    }

    private void draw(long now, int done, String status) {
        lastDraw = now;
        double secs = (now - start) / 1e9, rate = done / Math.max(secs, 1e-9);
        int filled = (int) ((long) WIDTH * done / Math.max(1, total));
        String eta = done == 0 ? "?" : String.format(Locale.ROOT, "%.0fs", (total - done) / rate);
        out.printf(Locale.ROOT, "\r%s [%s%s] %d/%d  %.1f steps/s  ETA %s  %s ", label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, rate, eta, status);
        if (done >= total) out.println();
        out.flush();
    }
}
