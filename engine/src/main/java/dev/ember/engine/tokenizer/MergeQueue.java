package dev.ember.engine.tokenizer;

import java.util.Arrays;

/**
 * Binary min-heap of candidate merges (bigrams) for the BPE and SentencePiece merge loops.
 * Each entry is a priority key, the left and right symbol positions and the combined length the
 * pair had when queued; an entry whose symbols changed since is stale and skipped when popped,
 * which is cheaper than deleting from the middle of the heap.
 *
 * <p>The key packs (priority, left position) into one long so that ties break toward the leftmost
 * pair, as llama.cpp's comparators do.
 */
final class MergeQueue {
    private long[] keys;
    private int[] rights;
    private int[] sizes;
    private int size;

    MergeQueue(int capacity) {
        int cap = Math.max(8, capacity);
        keys = new long[cap];
        rights = new int[cap];
        sizes = new int[cap];
    }

    static long key(int priority, int left) {
        return ((long) priority << 32) | left;
    }

    /**
     * Maps a score where higher is better to an int priority where lower is better, preserving
     * the float order exactly (including ties).
     */
    static int descendingScore(float score) {
        int bits = Float.floatToIntBits(-score + 0.0f);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    boolean isEmpty() { return size == 0; }

    void clear() { size = 0; }

    void push(long key, int right, int pairSize) {
        if (size == keys.length) {
            int cap = size * 2;
            keys = Arrays.copyOf(keys, cap);
            rights = Arrays.copyOf(rights, cap);
            sizes = Arrays.copyOf(sizes, cap);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            rights[i] = rights[parent];
            sizes[i] = sizes[parent];
            i = parent;
        }
        keys[i] = key;
        rights[i] = right;
        sizes[i] = pairSize;
    }

    // The top entry, read before pop().
    int topLeft() { return (int) keys[0]; }

    int topRight() { return rights[0]; }

    int topSize() { return sizes[0]; }

    void pop() {
        int n = --size;
        if (n == 0) return;
        long key = keys[n];
        int right = rights[n];
        int pairSize = sizes[n];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && keys[child + 1] < keys[child]) child++;
            if (keys[child] >= key) break;
            keys[i] = keys[child];
            rights[i] = rights[child];
            sizes[i] = sizes[child];
            i = child;
        }
        keys[i] = key;
        rights[i] = right;
        sizes[i] = pairSize;
    }
}
