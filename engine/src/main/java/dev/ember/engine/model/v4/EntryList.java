package dev.ember.engine.model.v4;

import java.util.Arrays;

/** A growing list of fixed-width float vectors (compressed entries, indexer keys), stored contiguously. */
final class EntryList {
    private final int width;
    private float[] data = new float[0];
    private int count;

    EntryList(int width) {
        this.width = width;
    }

    void add(float[] entry) {
        if ((count + 1) * width > data.length) data = Arrays.copyOf(data, Math.max(width * 16, data.length * 2));
        System.arraycopy(entry, 0, data, count * width, width);
        count++;
    }

    int count() { return count; }
    int width() { return width; }
    float[] data() { return data; }
    int offset(int i) { return i * width; }
}
