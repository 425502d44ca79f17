package io.liquid4j.tokenizer;

import java.util.Arrays;

/** A growable int array, so token ids are collected without boxing. */
final class IntList {
    private int[] items;
    private int size;

    IntList(int capacity) {
        items = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == items.length) items = Arrays.copyOf(items, size * 2);
        items[size++] = v;
    }

    void addAll(int[] vs) {
        if (size + vs.length > items.length) items = Arrays.copyOf(items, Math.max(size * 2, size + vs.length));
        System.arraycopy(vs, 0, items, size, vs.length);
        size += vs.length;
    }

    int get(int i) {
        return items[i];
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(items, size);
    }
}
