package dev.ember.engine.sample;

import java.util.Arrays;

/**
 * The tokens the penalties look at, kept as per-token occurrence counts sorted by id.
 *
 * <p>Like llama.cpp's penalties sampler, the window covers the whole sequence, prompt and generated
 * tokens alike: the last {@code penaltyLastN} of them, or all of them for -1. (vLLM applies
 * presence/frequency only to generated tokens; following llama.cpp keeps the documented order and
 * semantics of {@code SamplingParams} in one place.)
 *
 * <p>Counts are a sorted array rather than a hash map because the sampler needs the distinct ids in
 * id order anyway, to walk them alongside the logits row; a window has at most N distinct tokens,
 * so an insert or removal is a short {@code System.arraycopy}. Out-of-vocabulary ids are ignored.
 */
final class PenaltyWindow {
    private final int vocab;
    private final int capacity;        // > 0: a ring of the last N tokens; -1: everything, nothing is evicted
    private final int[] ring;
    private int ringPos;
    private int ringSize;
    private int[] ids = new int[16];
    private int[] counts = new int[16];
    private int distinct;

    PenaltyWindow(int capacity, int vocab) {
        if (capacity == 0 || capacity < -1) throw new IllegalArgumentException("window capacity must be > 0 or -1, got " + capacity);
        this.capacity = capacity;
        this.vocab = vocab;
        this.ring = capacity > 0 ? new int[capacity] : null;
    }

    /** Records a sequence's tokens in order; only the last N can matter, so only those are pushed. */
    void pushAll(int[] tokens) {
        int from = capacity > 0 ? Math.max(0, tokens.length - capacity) : 0;
        for (int i = from; i < tokens.length; i++) push(tokens[i]);
    }

    void push(int token) {
        if (token < 0 || token >= vocab) return;
        if (ring != null) {
            if (ringSize == capacity) decrement(ring[ringPos]);
            else ringSize++;
            ring[ringPos] = token;
            ringPos = ringPos + 1 == capacity ? 0 : ringPos + 1;
        }
        increment(token);
    }

    int distinct() { return distinct; }

    /** Distinct ids, strictly increasing, valid up to {@link #distinct()}. Live view: do not modify. */
    int[] ids() { return ids; }

    /** {@code counts()[j]} occurrences of {@code ids()[j]}. Live view: do not modify. */
    int[] counts() { return counts; }

    int count(int token) {
        int j = Arrays.binarySearch(ids, 0, distinct, token);
        return j >= 0 ? counts[j] : 0;
    }

    private void increment(int token) {
        int j = Arrays.binarySearch(ids, 0, distinct, token);
        if (j >= 0) {
            counts[j]++;
            return;
        }
        j = -j - 1;
        if (distinct == ids.length) {
            ids = Arrays.copyOf(ids, distinct * 2);
            counts = Arrays.copyOf(counts, distinct * 2);
        }
        System.arraycopy(ids, j, ids, j + 1, distinct - j);
        System.arraycopy(counts, j, counts, j + 1, distinct - j);
        ids[j] = token;
        counts[j] = 1;
        distinct++;
    }

    private void decrement(int token) {
        int j = Arrays.binarySearch(ids, 0, distinct, token);
        if (j < 0) throw new IllegalStateException("evicting token " + token + " that the window does not hold");
        if (--counts[j] > 0) return;
        System.arraycopy(ids, j + 1, ids, j, distinct - j - 1);
        System.arraycopy(counts, j + 1, counts, j, distinct - j - 1);
        distinct--;
    }
}
