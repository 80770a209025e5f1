package dev.ember.engine.model.v4;

import java.util.Arrays;

/** A growing list of fixed-width float vectors (compressed entries, indexer keys), stored contiguously. */
final class EntryList {
    private final int width;
    private float[] data = new float[0];
    private int count;
    /** With keyBlock > 0, a dimension-major copy in blocks of keyBlock entries (see Kernels.dotsBlock). */
    private final int keyBlock;
    private float[] blocks = new float[0];

    EntryList(int width) {
        this(width, 0);
    }

    EntryList(int width, int keyBlock) {
        this.width = width;
        this.keyBlock = keyBlock;
    }

    /** An independent copy (a forked sequence's entries grow apart from the original's). */
    EntryList copy() {
        EntryList c = new EntryList(width, keyBlock);
        c.data = data.clone(); // whole arrays: readers of the last key block see the same padding
        c.count = count;
        c.blocks = blocks.clone();
        return c;
    }

    void add(float[] entry) {
        if ((count + 1) * width > data.length) data = Arrays.copyOf(data, Math.max(width * 16, data.length * 2));
        System.arraycopy(entry, 0, data, count * width, width);
        if (keyBlock > 0) {
            int block = count / keyBlock, lane = count % keyBlock;
            int base = block * keyBlock * width;
            if (base + keyBlock * width > blocks.length) blocks = Arrays.copyOf(blocks, Math.max(keyBlock * width * 4, blocks.length * 2));
            for (int i = 0; i < width; i++) blocks[base + i * keyBlock + lane] = entry[i];
        }
        count++;
    }

    /** The dimension-major block copy (null without one); block b starts at {@code b · keyBlock · width}. */
    float[] blocks() { return keyBlock > 0 ? blocks : null; }

    int keyBlock() { return keyBlock; }

    int count() { return count; }
    int width() { return width; }
    float[] data() { return data; }
    int offset(int i) { return i * width; }
}
