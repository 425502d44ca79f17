package io.liquid4j.liquid.data;

/**
 * One training batch, row-major {@code [rows × length]}. Labels are aligned with the input ids as
 * in HF (−100 = not counted); the trainer shifts them: position t predicts {@code labels[t+1]}.
 *
 * @param attentionMask [rows][length], 1 for a token and 0 for padding; null when nothing is padded
 * @param segments      [rows][length] index of the document within a packed row (padding has its
 *                      own trailing id); null for unpacked rows
 * @param countedTokens positions t &lt; length−1 whose {@code labels[t+1]} is counted: what the loss averages over
 */
public record Batch(int rows, int length, long[] inputIds, long[] labels, int[][] attentionMask, int[][] segments, int countedTokens) {
    public Batch {
        if (inputIds.length != (long) rows * length || labels.length != inputIds.length) {
            throw new IllegalArgumentException("a " + rows + "x" + length + " batch needs " + (long) rows * length
                    + " ids and labels, got " + inputIds.length + " and " + labels.length);
        }
    }

    /** Input id at (row, position). */
    public long id(int row, int t) { return inputIds[row * length + t]; }

    /** Label at (row, position). */
    public long label(int row, int t) { return labels[row * length + t]; }
}
