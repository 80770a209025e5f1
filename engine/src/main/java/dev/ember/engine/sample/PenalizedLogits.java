package dev.ember.engine.sample;

/**
 * One row of the caller's logits as the penalties see it, without copying it: the row itself plus a
 * short, id-sorted list of overridden values for the tokens in the penalty window. Every pass walks
 * the row as tight loops over the stretches between overridden ids, visiting the overridden tokens
 * in id order in between, so a 150k vocabulary costs no vocab-sized scratch per sequence, no
 * per-element lookup, and the caller's array is never written.
 *
 * <p>NaN logits behave as negative infinity everywhere here (they never win and carry no mass).
 */
final class PenalizedLogits {
    private static final int[] NO_IDS = new int[0];
    private static final float[] NO_VALS = new float[0];

    private final int vocab;
    private float[] logits;
    private int off;
    private int[] ids = NO_IDS;
    private float[] vals = NO_VALS;
    private int count;

    PenalizedLogits(int vocab) {
        this.vocab = vocab;
    }

    /** Points at a new row with no overrides. */
    void reset(float[] logits, int off) {
        if (off < 0 || off > logits.length - vocab) {
            throw new IndexOutOfBoundsException("logits row [" + off + ", " + (off + vocab) + ") outside array of " + logits.length);
        }
        this.logits = logits;
        this.off = off;
        this.ids = NO_IDS;
        this.vals = NO_VALS;
        this.count = 0;
    }

    /** Overrides {@code vals[j]} for token {@code ids[j]}, j < count; ids strictly increasing and in range. */
    void override(int[] ids, float[] vals, int count) {
        this.ids = ids;
        this.vals = vals;
        this.count = count;
    }

    int vocab() { return vocab; }

    /** The value token {@code token} has in this view. */
    float get(int token) {
        int j = java.util.Arrays.binarySearch(ids, 0, count, token);
        return j >= 0 ? vals[j] : logits[off + token];
    }

    /** End (exclusive) of the j-th stretch of untouched tokens: the j-th overridden id, or the vocabulary size. */
    private int stretchEnd(int j) {
        return j < count ? ids[j] : vocab;
    }

    /** Greedy choice in a single pass: the largest value, ties to the lowest id. */
    int argmax() {
        int best = 0;
        float bestV = Float.NEGATIVE_INFINITY;
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) {
                float v = logits[off + i];
                if (v > bestV) { bestV = v; best = i; }
            }
            if (j == count) return best;
            if (vals[j] > bestV) { bestV = vals[j]; best = end; }
            start = end + 1;
        }
    }

    /** Largest value, or negative infinity if there is none. */
    float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) {
                float v = logits[off + i];
                m = v > m ? v : m;
            }
            if (j == count) return m;
            m = vals[j] > m ? vals[j] : m;
            start = end + 1;
        }
    }

    /** Sum over the vocabulary of {@code exp((v - max) * invTemp)}, in id order, in double. */
    double sumExp(float max, double invTemp) {
        double sum = 0;
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) sum += FastExp.exp(((double) logits[off + i] - max) * invTemp);
            if (j == count) return sum;
            sum += FastExp.exp(((double) vals[j] - max) * invTemp);
            start = end + 1;
        }
    }

    /**
     * The first token whose running sum of {@code exp((v - max) * invTemp)}, accumulated exactly as
     * {@link #sumExp} does, exceeds {@code target}. Same order, same operations: a target below the
     * total always lands on a token with positive weight.
     */
    int drawIndex(float max, double invTemp, double target) {
        double acc = 0;
        int last = 0;
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) {
                double w = FastExp.exp(((double) logits[off + i] - max) * invTemp);
                if (w > 0) {
                    acc += w;
                    last = i;
                    if (acc > target) return i;
                }
            }
            if (j == count) return last;   // only through rounding in the caller's target: stay on a real token
            double w = FastExp.exp(((double) vals[j] - max) * invTemp);
            if (w > 0) {
                acc += w;
                last = end;
                if (acc > target) return end;
            }
            start = end + 1;
        }
    }

    /**
     * Adds each token's untempered weight {@code exp(v - max)} to {@code mass[bucket(v)]} and returns
     * the total. See {@link Nucleus} for the buckets.
     */
    double bucketMass(float max, double[] mass) {
        double sum = 0;
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) {
                float v = logits[off + i];
                double w = FastExp.exp((double) v - max);
                mass[Nucleus.bucket(v, max)] += w;
                sum += w;
            }
            if (j == count) return sum;
            double w = FastExp.exp((double) vals[j] - max);
            mass[Nucleus.bucket(vals[j], max)] += w;
            sum += w;
            start = end + 1;
        }
    }

    /** Collects every token in a bucket up to {@code lastBucket} with value at least {@code minValue}, unsorted. */
    void collect(float max, int lastBucket, double minValue, Candidates out) {
        out.beginCollect();
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            for (int i = start; i < end; i++) {
                float v = logits[off + i];
                if (v >= minValue && Nucleus.bucket(v, max) <= lastBucket) out.add(i, v);
            }
            if (j == count) return;
            float v = vals[j];
            if (v >= minValue && Nucleus.bucket(v, max) <= lastBucket) out.add(end, v);
            start = end + 1;
        }
    }

    /** Fills {@code out} with the best {@code k} tokens of this view, sorted best first. */
    void selectTop(int k, Candidates out) {
        out.begin(Math.min(k, vocab));
        for (int j = 0, start = 0; ; j++) {
            int end = stretchEnd(j);
            // Most tokens lose to the heap's worst entry; test against a local copy before calling in.
            float floor = out.floor();
            for (int i = start; i < end; i++) {
                float v = logits[off + i];
                if (v > floor || !out.full()) {
                    out.offer(i, v);
                    floor = out.floor();
                }
            }
            if (j == count) break;
            out.offer(end, vals[j]);
            start = end + 1;
        }
        out.sortBestFirst();
    }
}
