package dev.ember.engine.tokenizer;

import java.util.Arrays;

/** A growable int array: encoders append ids here without boxing. */
final class IntList {
    private int[] data;
    private int size;

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, data.length * 2);
        data[size++] = v;
    }

    int get(int i) { return data[i]; }

    int size() { return size; }

    int last() { return data[size - 1]; }

    void truncate(int newSize) { size = newSize; }

    void clear() { size = 0; }

    int[] toArray() { return Arrays.copyOf(data, size); }
}
