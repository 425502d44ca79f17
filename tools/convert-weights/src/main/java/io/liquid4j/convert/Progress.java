package io.liquid4j.convert;

import java.io.PrintStream;

/**
 * A one-line progress report for long writes: rewrites itself on stderr every 5%, and stays
 * silent for small jobs (under 64 MiB) and when no stream is given (tests).
 */
final class Progress {
    private static final long QUIET_BELOW = 64L << 20;

    private final PrintStream out;
    private final String label;
    private final long total;
    private int lastPercent = -1;

    Progress(PrintStream out, String label, long total) {
        this.out = total >= QUIET_BELOW ? out : null;
        this.label = label;
        this.total = total;
    }

    void update(long done) {
        if (out == null) return;
        int percent = (int) (100 * done / Math.max(1, total));
        if (percent / 5 == lastPercent / 5) return;
        lastPercent = percent;
        out.printf("\r%s: %3d%% (%d / %d MiB)", label, percent, done >> 20, total >> 20);
        out.flush();
    }

    void done() {
        if (out == null) return;
        update(total);
        out.println();
    }
}
