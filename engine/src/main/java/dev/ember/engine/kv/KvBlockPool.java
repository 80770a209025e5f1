package dev.ember.engine.kv;

import java.util.Arrays;

/**
 * A pool of fixed-size KV blocks. A block holds {@code blockSize} consecutive token positions of
 * one sequence, for every layer: per layer, {@code keyWidth} key floats and {@code valueWidth}
 * value floats per token. Storage is one key and one value array per layer, indexed by the global
 * slot {@code block * blockSize + offsetInBlock}, so attention reads a sequence through its
 * {@link BlockTable} with plain array offsets.
 *
 * <p>Blocks are reference-counted so that sequences with a common prefix can share them; a block
 * returns to the free list when its count drops to zero. Not thread-safe: the scheduler owns it.
 */
public final class KvBlockPool {
    private final int blockSize;
    private final int numBlocks;
    private final int[] keyWidth;
    private final int[] valueWidth;
    private final float[][] keys;
    private final float[][] values;
    private final int[] refCount;
    private final int[] freeList;
    private int freeCount;

    public KvBlockPool(int blockSize, int numBlocks, int[] keyWidth, int[] valueWidth) {
        if (blockSize < 1 || numBlocks < 1) throw new IllegalArgumentException("block size and count must be positive");
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.keyWidth = keyWidth.clone();
        this.valueWidth = valueWidth.clone();
        int layers = keyWidth.length;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        long slots = (long) blockSize * numBlocks;
        for (int l = 0; l < layers; l++) {
            long kLen = slots * keyWidth[l];
            long vLen = slots * valueWidth[l];
            if (kLen > Integer.MAX_VALUE - 16 || vLen > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("KV pool too large for one layer array: " + slots + " slots; lower the KV cache budget");
            }
            keys[l] = new float[(int) kLen];
            values[l] = new float[(int) vLen];
        }
        this.refCount = new int[numBlocks];
        this.freeList = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) freeList[i] = numBlocks - 1 - i;
        this.freeCount = numBlocks;
    }

    /** Bytes one token position takes across all layers. */
    public static long bytesPerToken(int[] keyWidth, int[] valueWidth) {
        long b = 0;
        for (int l = 0; l < keyWidth.length; l++) b += 4L * (keyWidth[l] + valueWidth[l]);
        return b;
    }

    public int blockSize() { return blockSize; }
    public int numBlocks() { return numBlocks; }
    public int freeBlocks() { return freeCount; }
    public int layers() { return keys.length; }
    public int keyWidth(int layer) { return keyWidth[layer]; }
    public int valueWidth(int layer) { return valueWidth[layer]; }
    public float[] keys(int layer) { return keys[layer]; }
    public float[] values(int layer) { return values[layer]; }

    /** Takes a free block with reference count 1, or returns -1 when the pool is exhausted. */
    public int allocate() {
        if (freeCount == 0) return -1;
        int b = freeList[--freeCount];
        refCount[b] = 1;
        return b;
    }

    public void retain(int block) {
        if (refCount[block] <= 0) throw new IllegalStateException("retain of free block " + block);
        refCount[block]++;
    }

    public void release(int block) {
        if (refCount[block] <= 0) throw new IllegalStateException("release of free block " + block);
        if (--refCount[block] == 0) freeList[freeCount++] = block;
    }

    public int refCount(int block) { return refCount[block]; }

    /**
     * Copies the first {@code tokens} slots of block {@code from} into block {@code to}, every
     * layer. Keys are copied a whole block at a time: attention may store a block's keys
     * dimension-major, where a prefix of slots is not contiguous (the extra slots are unused).
     */
    public void copySlots(int from, int to, int tokens) {
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], from * blockSize * keyWidth[l], keys[l], to * blockSize * keyWidth[l], blockSize * keyWidth[l]);
            System.arraycopy(values[l], from * blockSize * valueWidth[l], values[l], to * blockSize * valueWidth[l], tokens * valueWidth[l]);
        }
    }

    @Override
    public String toString() {
        return "KvBlockPool[" + numBlocks + " x " + blockSize + " tokens, free " + freeCount + ", widths " + Arrays.toString(keyWidth) + "]";
    }
}
