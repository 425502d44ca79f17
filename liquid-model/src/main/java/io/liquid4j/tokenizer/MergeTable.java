package io.liquid4j.tokenizer;

/**
 * The BPE merges as an open-addressing hash table from a pair of token ids to the merge's rank
 * (its index in the merges list: lower merges first) and the id of the merged token. Gemma's
 * 580k merges fit in 16 MB of primitive arrays, with no boxing on the encode path.
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    MergeTable(int expectedMerges) {
        // The smallest power of two that keeps the load factor at or below 0.6.
        int capacity = Integer.highestOneBit((int) Math.max(16, expectedMerges * 5L / 3) - 1) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mergedIds = new int[capacity];
        mask = capacity - 1;
    }

    /** Adds or replaces a merge; a repeated pair keeps the last rank, as the reference tokenizers do. */
    void put(int left, int right, int rank, int mergedId) {
        long key = key(left, right);
        int slot = slot(key);
        if (keys[slot] == EMPTY) {
            if (size >= keys.length - keys.length / 8) throw new IllegalStateException("merge table is full: more merges than declared");
            keys[slot] = key;
            size++;
        }
        ranks[slot] = rank;
        mergedIds[slot] = mergedId;
    }

    /** The slot of the pair, or -1 when the pair has no merge. */
    int find(int left, int right) {
        int slot = slot(key(left, right));
        return keys[slot] == EMPTY ? -1 : slot;
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedIdAt(int slot) {
        return mergedIds[slot];
    }

    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    /** Linear probing from a mixed hash; returns the key's slot or the empty slot where it would go. */
    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ h >>> 32) & mask;
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }
}
