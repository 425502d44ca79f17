package io.liquid4j.demo.world;

import java.util.Arrays;

/**
 * Pairs expected shapes with found ones (detections, or shapes a caption names) one to one. Scenes
 * have at most two shapes, so trying every pairing is cheap and exactly optimal.
 */
final class Pairing {
    /** How well found shape j fits expected shape i; higher is better. */
    interface Score {
        double of(int expected, int found);
    }

    private Pairing() {}

    /**
     * For each of the expected shapes, the index of its found shape, or −1: min(expected, found) of
     * them are paired, choosing the highest total score; among equal totals the first found in
     * enumeration order wins, which keeps the given order when nothing tells the shapes apart.
     */
    static int[] best(int expected, int found, Score score) {
        int[] current = new int[expected], best = new int[expected];
        Arrays.fill(best, -1);
        double[] bestTotal = {Double.NEGATIVE_INFINITY};
        search(0, expected, found, Math.min(expected, found), 0, 0, new boolean[found], current, best, bestTotal, score);
        return best;
    }

    private static void search(int row, int expected, int found, int toPair, int paired, double total, boolean[] used,
            int[] current, int[] best, double[] bestTotal, Score score) {
        if (row == expected) {
            if (paired == toPair && total > bestTotal[0]) {
                bestTotal[0] = total;
                System.arraycopy(current, 0, best, 0, expected);
            }
            return;
        }
        for (int j = 0; j < found; j++) {
            if (used[j]) continue;
            used[j] = true;
            current[row] = j;
            search(row + 1, expected, found, toPair, paired + 1, total + score.of(row, j), used, current, best, bestTotal, score);
            used[j] = false;
        }
        // Leaving this row unpaired is only allowed when there are fewer found shapes than expected.
        if (expected - row - 1 >= toPair - paired) {
            current[row] = -1;
            search(row + 1, expected, found, toPair, paired, total, used, current, best, bestTotal, score);
        }
    }
}
