package io.liquid4j.liquid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.TrainingSequence.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchStreamTest {
    private static final int I = -100, PAD = 0;

    private static TrainingSequence seq(int[] ids, int[] labels) { return new TrainingSequence(ids, labels, Task.TEXT); }

    /** n sequences, sequence i = [100·(i+1), +1, …] of length 1 + i % 4 + 1, every token counted. */
    private static TrainingData numbered(int n) {
        List<TrainingSequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int base = 100 * (i + 1);
            int[] ids = IntStream.range(0, 2 + i % 4).map(t -> base + t).toArray();
            out.add(seq(ids, ids.clone()));
        }
        return TrainingData.of(out);
    }

    @Test
    void paddedRowsGoToTheLongestWithPadIdIgnoredLabelsAndMask() {
        TrainingData data = TrainingData.of(List.of(seq(new int[] {1, 2, 3}, new int[] {I, 2, 3}), seq(new int[] {4, 5}, new int[] {4, 5})));
        Batch b = new BatchStream(data, 2, 10, false, false, 0, 9).next();
        assertEquals(2, b.rows());
        assertEquals(3, b.length());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 9}, b.inputIds());
        assertArrayEquals(new long[] {I, 2, 3, 4, 5, I}, b.labels());
        assertArrayEquals(new int[][] {{1, 1, 1}, {1, 1, 0}}, b.attentionMask());
        assertNull(b.segments());
        assertEquals(2 + 1, b.countedTokens(), "row 0 predicts 2 and 3; row 1 predicts 5, then padding");
    }

    @Test
    void noPaddingMeansNoMaskAndLongRowsAreCutAtSeqLen() {
        TrainingData data = TrainingData.of(List.of(seq(new int[] {1, 2, 3, 4, 5}, new int[] {1, 2, 3, 4, 5}), seq(new int[] {6, 7, 8, 9}, new int[] {I, I, 8, 9})));
        Batch b = new BatchStream(data, 2, 3, false, false, 0, PAD).next();
        assertEquals(3, b.length());
        assertArrayEquals(new long[] {1, 2, 3, 6, 7, 8}, b.inputIds());
        assertArrayEquals(new long[] {1, 2, 3, I, I, 8}, b.labels());
        assertNull(b.attentionMask());
        assertEquals(2 + 1, b.countedTokens());
    }

    @Test
    void packedRowsHoldWholeDocumentsWithSegmentsAndPaddingAtTheEnd() {
        TrainingData data = TrainingData.of(List.of(
                seq(new int[] {1, 2, 3}, new int[] {1, 2, 3}),
                seq(new int[] {4, 5}, new int[] {I, 5}),
                seq(new int[] {6, 7, 8, 9}, new int[] {6, 7, 8, 9})));
        Batch b = new BatchStream(data, 2, 6, true, false, 0, PAD).next();
        assertEquals(2, b.rows());
        assertEquals(6, b.length());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, PAD, 6, 7, 8, 9, PAD, PAD}, b.inputIds());
        assertArrayEquals(new long[] {I, 2, 3, I, 5, I, I, 7, 8, 9, I, I}, b.labels(),
                "each document's first label is ignored: the previous document must not predict it");
        assertArrayEquals(new int[][] {{1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 0, 0}}, b.attentionMask());
        assertArrayEquals(new int[][] {{0, 0, 0, 1, 1, 2}, {0, 0, 0, 0, 1, 1}}, b.segments());
        assertEquals(3 + 3, b.countedTokens());
    }

    @Test
    void exactlyFullPackedRowsHaveNoMaskAndAnOverlongDocumentFillsARow() {
        TrainingData data = TrainingData.of(List.of(
                seq(new int[] {1, 2}, new int[] {1, 2}), seq(new int[] {3, 4}, new int[] {3, 4}),
                seq(new int[] {5, 6, 7, 8, 9}, new int[] {5, 6, 7, 8, 9})));
        BatchStream s = new BatchStream(data, 1, 4, true, false, 0, PAD);
        Batch first = s.next(), second = s.next();
        assertArrayEquals(new long[] {1, 2, 3, 4}, first.inputIds());
        assertArrayEquals(new int[][] {{0, 0, 1, 1}}, first.segments());
        assertNull(first.attentionMask());
        assertArrayEquals(new long[] {5, 6, 7, 8}, second.inputIds());
        assertArrayEquals(new long[] {I, 6, 7, 8}, second.labels());
        assertEquals(2, s.batchesPerEpoch());
        assertEquals(0, s.epoch());
        assertArrayEquals(first.inputIds(), s.next().inputIds(), "epoch 1 starts again");
        assertEquals(1, s.epoch());
    }

    @Test
    void withoutShuffleBatchesFollowFileOrderAndEpochsRepeat() {
        BatchStream s = new BatchStream(numbered(5), 2, 16, false, false, 0, PAD);
        assertEquals(3, s.batchesPerEpoch());
        long[][] expectFirst = {{100, 200}, {300, 400}, {500}, {100, 200}};
        int[] expectEpoch = {0, 0, 0, 1};
        for (int k = 0; k < expectFirst.length; k++) {
            Batch b = s.next();
            assertArrayEquals(expectFirst[k], firstIds(b), "batch " + k);
            assertEquals(expectEpoch[k], s.epoch());
        }
    }

    @Test
    void shuffleIsASeededPermutationPerEpoch() {
        int n = 50;
        int[] a0 = epochOrder(new BatchStream(numbered(n), 1, 16, false, true, 7, PAD), n);
        BatchStream again = new BatchStream(numbered(n), 1, 16, false, true, 7, PAD);
        int[] b0 = epochOrder(again, n), b1 = epochOrder(again, n);
        int[] c0 = epochOrder(new BatchStream(numbered(n), 1, 16, false, true, 8, PAD), n);
        assertArrayEquals(a0, b0, "same seed, same order");
        assertArrayEquals(IntStream.range(0, n).toArray(), sorted(a0), "a permutation");
        assertArrayEquals(IntStream.range(0, n).toArray(), sorted(b1));
        assertNotEquals(Arrays.toString(a0), Arrays.toString(IntStream.range(0, n).toArray()), "shuffled");
        assertNotEquals(Arrays.toString(b0), Arrays.toString(b1), "each epoch its own order");
        assertNotEquals(Arrays.toString(a0), Arrays.toString(c0), "another seed, another order");
    }

    @Test
    void restoreContinuesExactly() {
        for (boolean pack : new boolean[] {false, true}) {
            BatchStream s = new BatchStream(numbered(23), 3, 8, pack, true, 11, PAD);
            for (int k = 0; k < 13; k++) s.next();
            long[] state = s.state();
            List<Batch> expected = new ArrayList<>();
            for (int k = 0; k < 20; k++) expected.add(s.next());
            BatchStream resumed = new BatchStream(numbered(23), 3, 8, pack, true, 11, PAD);
            resumed.restore(state);
            for (int k = 0; k < 20; k++) {
                Batch want = expected.get(k), got = resumed.next();
                assertArrayEquals(want.inputIds(), got.inputIds(), "pack " + pack + " batch " + k);
                assertArrayEquals(want.labels(), got.labels());
                assertArrayEquals(want.segments(), got.segments());
                assertArrayEquals(want.attentionMask(), got.attentionMask());
                assertEquals(want.countedTokens(), got.countedTokens());
            }
            assertEquals(s.epoch(), resumed.epoch());
            assertTrue(s.epoch() >= 1, "the test crosses an epoch boundary");
        }
    }

    @Test
    void restoreRefusesAnotherStreamsState() {
        long[] state = new BatchStream(numbered(10), 2, 8, false, true, 1, PAD).state();
        var e = assertThrows(IllegalArgumentException.class, () -> new BatchStream(numbered(10), 4, 8, false, true, 1, PAD).restore(state));
        assertTrue(e.getMessage().contains("batch size 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BatchStream(numbered(11), 2, 8, false, true, 1, PAD).restore(state));
        assertThrows(IllegalArgumentException.class, () -> new BatchStream(numbered(10), 2, 8, false, true, 2, PAD).restore(state));
    }

    private static long[] firstIds(Batch b) {
        long[] out = new long[b.rows()];
        for (int r = 0; r < b.rows(); r++) out[r] = b.id(r, 0);
        return out;
    }

    private static int[] epochOrder(BatchStream s, int n) {
        int[] order = new int[n];
        for (int k = 0; k < n; k++) order[k] = (int) (s.next().id(0, 0) / 100 - 1);
        return order;
    }

    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }
}
