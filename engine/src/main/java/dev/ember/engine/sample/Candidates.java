package dev.ember.engine.sample;

/**
 * A reusable list of (token, logit) candidates, filled in one of two ways. {@link #begin}/{@link
 * #offer}: the best {@code k} of a pass over the vocabulary, kept in a bounded min-heap and then
 * sorted best first. {@link #beginCollect}/{@link #add}: every token above a threshold, which
 * {@link #sortCollected} orders the same way. A pass costs O(V) comparisons plus O(k log k): most tokens lose to
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
    private long[] keys = new long[0];

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

    /** Whether the heap holds its {@code k} entries; until then every offer is taken. */
    boolean full() { return size == limit; }

    /** The worst entry kept so far; only a strictly greater logit can still get in once full. */
    float floor() { return size == 0 ? Float.NEGATIVE_INFINITY : vals[0]; }

    /** Starts an unbounded collection. */
    void beginCollect() {
        size = 0;
        limit = Integer.MAX_VALUE;
    }

    /** Appends a token to a collection, in any order. */
    void add(int id, float v) {
        if (size == ids.length) {
            int n = Math.max(16, size * 2);
            ids = java.util.Arrays.copyOf(ids, n);
            vals = java.util.Arrays.copyOf(vals, n);
        }
        ids[size] = id;
        vals[size] = v != v ? Float.NEGATIVE_INFINITY : v + 0.0f;   // -0.0 + 0.0 = 0.0: ties then go by id, as in the heap
        size++;
    }

    /**
     * Sorts a collection best first. Each entry is packed into one long, the logit's bits flipped to
     * sort descending in the high half and the id in the low half, so a primitive sort orders by
     * (logit desc, id asc) without boxing or a comparator.
     */
    void sortCollected() {
        if (keys.length < size) keys = new long[Math.max(size, keys.length * 2)];
        for (int i = 0; i < size; i++) {
            int bits = Float.floatToRawIntBits(vals[i]);
            int ascending = bits ^ ((bits >> 31) & 0x7fffffff);   // monotone map: float order = int order
            keys[i] = ((long) ~ascending << 32) | ids[i];
        }
        java.util.Arrays.sort(keys, 0, size);
        for (int i = 0; i < size; i++) {
            int id = (int) keys[i];
            int ascending = ~(int) (keys[i] >>> 32);
            int bits = ascending ^ ((ascending >> 31) & 0x7fffffff);
            ids[i] = id;
            vals[i] = Float.intBitsToFloat(bits);
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
