package dev.ember.engine.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing map from token text to id that can also look up a slice of a string, or the
 * concatenation of two slices, without building the substring. Loading a large vocabulary does
 * hundreds of thousands of such lookups (every merge rule names three pieces), and a boxed
 * HashMap with substring keys made that the slowest part of loading. Each slot keeps its key's hash,
 * so a probe compares strings only when the hashes agree: colliding probe sequences no longer call
 * String.equals or regionMatches on every key they pass (calls a fuzzer's instrumentation hooks).
 */
final class StringIntMap {
    private final String[] keys;
    private final int[] hashes;
    private final int[] values;
    private final int mask;
    private int size;

    StringIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new String[cap];
        hashes = new int[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Maps key to value; a key already present is remapped (the last occurrence wins). */
    void put(String key, int value) {
        if ((size + 1) * 2 > keys.length) throw new IllegalStateException("map is full");
        int h = key.hashCode();
        int i = mix(h) & mask;
        while (keys[i] != null) {
            if (hashes[i] == h && keys[i].equals(key)) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        hashes[i] = h;
        values[i] = value;
        size++;
    }

    int get(String key) {
        int h = key.hashCode();
        int i = mix(h) & mask;
        String k;
        while ((k = keys[i]) != null) {
            if (hashes[i] == h && k.equals(key)) return values[i];
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The value of s[from, to), or -1. */
    int get(String s, int from, int to) {
        return get(s, from, to, to, to);
    }

    /** The value of s[aFrom, aTo) + s[bFrom, bTo), or -1. Hashes like String.hashCode. */
    int get(String s, int aFrom, int aTo, int bFrom, int bTo) {
        int h = 0;
        for (int j = aFrom; j < aTo; j++) h = 31 * h + s.charAt(j);
        for (int j = bFrom; j < bTo; j++) h = 31 * h + s.charAt(j);
        int aLen = aTo - aFrom;
        int len = aLen + (bTo - bFrom);
        int i = mix(h) & mask;
        String k;
        while ((k = keys[i]) != null) {
            if (hashes[i] == h && k.length() == len && k.regionMatches(0, s, aFrom, aLen) && k.regionMatches(aLen, s, bFrom, bTo - bFrom)) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    int size() { return size; }

    void clear() {
        Arrays.fill(keys, null);
        size = 0;
    }
}
