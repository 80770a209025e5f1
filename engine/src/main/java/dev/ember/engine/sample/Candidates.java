package dev.ember.engine.sample;

/**
 * The best {@code k} (token, logit) pairs of a pass over the vocabulary, kept in a bounded min-heap
 * and then sorted best first. A pass costs O(V) comparisons plus O(k log k): most tokens lose to
 * the heap's root with a single comparison, so a top-40 over 150k never sorts the vocabulary.
 *
 * <p>Order: higher logit first; equal logits, lower id first, which makes top-k with k = 1 agree
 * with greedy argmax. NaN is treated as negative infinity. The arrays grow on demand and are reused,
 * so steady-state selection allocates nothing.
 */
final class Candidates {
    private int[] ids;
    private float[] vals;
    private int size;
    private int limit;

    Candidates(int initialCapacity) {
        ids = new int[Math.max(1, initialCapacity)];
        vals = new float[Math.max(1, initialCapacity)];
    }

    /** Starts a selection of at most {@code k} entries. */
    void begin(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (ids.length < k) {
            ids = new int[k];
            vals = new float[k];
        }
        size = 0;
        limit = k;
    }

    /**
     * Offers a token. Callers offer ids in increasing order, which is what lets an equal logit lose
     * to the root without looking at ids: the newcomer has the higher id, so it is the worse one.
     */
    void offer(int id, float v) {
        if (size < limit) {
            if (v != v) v = Float.NEGATIVE_INFINITY;
            ids[size] = id;
            vals[size] = v;
            siftUp(size++);
        } else if (v > vals[0]) {
            ids[0] = id;
            vals[0] = v;
            siftDown(0, size);
        }
    }

    /** Heap-sorts in place so that index 0 holds the best entry. */
    void sortBestFirst() {
        for (int end = size - 1; end > 0; end--) {
            swap(0, end);       // the root is the worst of the remaining heap: park it at the end
            siftDown(0, end);
        }
    }

    int size() { return size; }

    int id(int i) { return ids[i]; }

    float val(int i) { return vals[i]; }

    /** True when entry a ranks below entry b. */
    private boolean worse(int a, int b) {
        return vals[a] < vals[b] || (vals[a] == vals[b] && ids[a] > ids[b]);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(i, parent)) return;
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i, int n) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) return;
            int r = l + 1;
            int w = r < n && worse(r, l) ? r : l;
            if (!worse(w, i)) return;
            swap(i, w);
            i = w;
        }
    }

    private void swap(int a, int b) {
        int ti = ids[a]; ids[a] = ids[b]; ids[b] = ti;
        float tv = vals[a]; vals[a] = vals[b]; vals[b] = tv;
    }
}
