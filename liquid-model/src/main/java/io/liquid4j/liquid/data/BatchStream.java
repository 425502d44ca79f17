package io.liquid4j.liquid.data;

import io.liquid4j.liquid.TrainingSequence;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An endless stream of batches over training data: epochs follow each other, each in its own
 * order (a permutation seeded by (seed, epoch) with {@code shuffle}, file order without), and
 * batch b of an epoch takes the next {@code batchSize} rows of that order; the last batch of an
 * epoch may hold fewer rows.
 *
 * <p>Unpacked rows hold one sequence each, right-padded to the batch's longest (at most seqLen;
 * longer sequences are cut there). Packed rows ({@code pack}) are exactly seqLen long and hold
 * consecutive whole sequences; one that does not fit starts the next row, and the row's tail is
 * padding. In a packed row each document's first label is −100: the token before it belongs to
 * another document and must not learn to predict it. Padding is the pad id with label −100 and
 * attention mask 0.
 *
 * <p>{@link #state()} is the position (epoch, batches done) plus what it was made with;
 * {@link #restore} on a stream over the same data and settings continues exactly there.
 */
public final class BatchStream {
    private static final long STATE_VERSION = 1;
    private static final int IGNORE = TrainingSequence.IGNORE;

    private final TrainingData data;
    private final int batchSize, seqLen, padId;
    private final boolean pack, shuffle;
    private final long seed;

    private int epoch;
    private long batchesDone;
    /** This epoch's order of sequence indices. */
    private int[] order;
    /** With packing: where each row starts in {@link #order}, plus a final end marker. */
    private int[] rowStarts;

    public BatchStream(TrainingData data, int batchSize, int seqLen, boolean pack, boolean shuffle, long seed, int padId) {
        if (data.size() == 0) throw new IllegalArgumentException("no training sequences: nothing to batch");
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (seqLen <= 1) throw new IllegalArgumentException("sequence length must be at least 2, got " + seqLen);
        this.data = data;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.pack = pack;
        this.shuffle = shuffle;
        this.seed = seed;
        this.padId = padId;
        startEpoch(0);
    }

    /** The epoch of the batch {@link #next()} returned last (0 before the first). */
    public int epoch() { return epoch; }

    /** Batches in the current epoch (with packing and shuffling it can differ a little between epochs). */
    public long batchesPerEpoch() {
        long rows = pack ? rowStarts.length - 1 : order.length;
        return (rows + batchSize - 1) / batchSize;
    }

    public Batch next() {
        if (batchesDone == batchesPerEpoch()) startEpoch(epoch + 1);
        int first = Math.toIntExact(batchesDone * batchSize);
        batchesDone++;
        return pack ? packed(first) : padded(first);
    }

    /** The position and settings of this stream, for {@link #restore}. */
    public long[] state() {
        return new long[] {STATE_VERSION, epoch, batchesDone, data.size(), batchSize, seqLen, pack ? 1 : 0, shuffle ? 1 : 0, seed};
    }

    /** Continues from a {@link #state()} of a stream over the same data with the same settings. */
    public void restore(long[] state) {
        long[] mine = state();
        if (state.length != mine.length || state[0] != STATE_VERSION) {
            throw new IllegalArgumentException("not a batch stream state (expected " + mine.length + " numbers starting with " + STATE_VERSION + ")");
        }
        String[] names = {"", "", "", "sequences", "batch size", "sequence length", "packing", "shuffling", "seed"};
        for (int i = 3; i < mine.length; i++) {
            if (state[i] != mine[i]) {
                throw new IllegalArgumentException("the saved batch stream had " + names[i] + " " + state[i] + " but this one has " + mine[i]
                        + ": resuming would not continue the same order");
            }
        }
        startEpoch(Math.toIntExact(state[1]));
        if (state[2] < 0 || state[2] > batchesPerEpoch()) {
            throw new IllegalArgumentException("the saved position " + state[2] + " is outside epoch " + epoch + "'s " + batchesPerEpoch() + " batches");
        }
        batchesDone = state[2];
    }

    private void startEpoch(int e) {
        epoch = e;
        batchesDone = 0;
        order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        if (shuffle) {
            // file index −1 is no file: the epoch orders draw from a stream no record uses
            SplittableRandom rng = SampleFactory.recordRng(seed, -1, e);
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        if (pack) rowStarts = packRows();
    }

    private int clipped(int index) { return Math.min(data.get(order[index]).length(), seqLen); }

    private int[] packRows() {
        int[] starts = new int[order.length + 1];
        int rows = 0, used = 0;
        for (int i = 0; i < order.length; i++) {
            int len = clipped(i);
            if (i == 0 || used + len > seqLen) {
                starts[rows++] = i;
                used = 0;
            }
            used += len;
        }
        starts[rows] = order.length;
        return Arrays.copyOf(starts, rows + 1);
    }

    private Batch padded(int first) {
        int rows = Math.min(batchSize, order.length - first), length = 0;
        for (int r = 0; r < rows; r++) length = Math.max(length, clipped(first + r));
        long[] ids = new long[rows * length], labels = new long[rows * length];
        int[][] mask = new int[rows][length];
        boolean padded = false;
        for (int r = 0; r < rows; r++) {
            TrainingSequence s = data.get(order[first + r]);
            int n = clipped(first + r);
            copy(s, n, ids, labels, r * length);
            fillPadding(ids, labels, r * length + n, (r + 1) * length);
            Arrays.fill(mask[r], 0, n, 1);
            padded |= n < length;
        }
        return new Batch(rows, length, ids, labels, padded ? mask : null, null, counted(rows, length, labels));
    }

    private Batch packed(int firstRow) {
        int rows = Math.min(batchSize, rowStarts.length - 1 - firstRow), length = seqLen;
        long[] ids = new long[rows * length], labels = new long[rows * length];
        int[][] mask = new int[rows][length], segments = new int[rows][length];
        boolean padded = false;
        for (int r = 0; r < rows; r++) {
            int at = 0, doc = 0;
            for (int i = rowStarts[firstRow + r]; i < rowStarts[firstRow + r + 1]; i++, doc++) {
                int n = clipped(i);
                copy(data.get(order[i]), n, ids, labels, r * length + at);
                labels[r * length + at] = IGNORE;
                Arrays.fill(mask[r], at, at + n, 1);
                Arrays.fill(segments[r], at, at + n, doc);
                at += n;
            }
            fillPadding(ids, labels, r * length + at, (r + 1) * length);
            Arrays.fill(segments[r], at, length, doc);
            padded |= at < length;
        }
        return new Batch(rows, length, ids, labels, padded ? mask : null, segments, counted(rows, length, labels));
    }

    private static void copy(TrainingSequence s, int n, long[] ids, long[] labels, int at) {
        int[] in = s.inputIds(), lab = s.labels();
        for (int t = 0; t < n; t++) {
            ids[at + t] = in[t];
            labels[at + t] = lab[t];
        }
    }

    private void fillPadding(long[] ids, long[] labels, int from, int to) {
        Arrays.fill(ids, from, to, padId);
        Arrays.fill(labels, from, to, IGNORE);
    }

    /** Positions t &lt; length−1 of every row whose target labels[t+1] counts. */
    private static int counted(int rows, int length, long[] labels) {
        int n = 0;
        for (int r = 0; r < rows; r++) {
            for (int t = 1; t < length; t++) if (labels[r * length + t] != IGNORE) n++;
        }
        return n;
    }
}
