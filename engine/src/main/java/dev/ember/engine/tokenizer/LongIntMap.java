package dev.ember.engine.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing hash map from long keys to non-negative int values, used for the merge tables
 * (a pair of piece ids packed into one long). A boxed HashMap would cost several objects per merge
 * and a pointer chase per lookup on the hottest path of BPE encoding.
 */
final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        // murmur3's 64-bit finalizer: both halves of a packed pair must reach the low bits
        long h = key;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h & mask;
    }

    /** The value for key, or -1. */
    int get(long key) {
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return -1;
            i = (i + 1) & mask;
        }
    }

    /** Stores key→value unless key is present; returns true if stored (first occurrence wins). */
    boolean putIfAbsent(long key, int value) {
        if (key == EMPTY) throw new IllegalArgumentException("reserved key");
        if ((size + 1) * 2 > keys.length) grow();
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return false;
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /** Stores key→value, replacing any previous value (last occurrence wins). */
    void put(long key, int value) {
        if (!putIfAbsent(key, value)) {
            int i = slot(key, mask);
            while (keys[i] != key) i = (i + 1) & mask;
            values[i] = value;
        }
    }

    int size() { return size; }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) putIfAbsent(oldKeys[i], oldValues[i]);
        }
    }
}
