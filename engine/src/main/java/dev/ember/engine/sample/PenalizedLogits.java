package dev.ember.engine.sample;

/**
 * One row of the caller's logits as the penalties see it, without copying it: the row itself plus a
 * short, id-sorted list of overridden values for the tokens in the penalty window. Each pass walks
 * the row in id order and steps through the override list alongside, so a 150k vocabulary costs
 * no vocab-sized scratch per sequence and the caller's array is never written.
 *
 * <p>NaN logits behave as negative infinity everywhere here (they never win and carry no mass).
 */
final class PenalizedLogits {
    /**
     * Weights {@code exp(x)} with {@code x} below this are skipped. Every weight is relative to the
     * maximum, whose own weight is 1, and 150k weights of at most e^-50 add up to under 3e-17, below
     * half an ulp of 1.0: skipping them cannot change a sum, only save the exp call.
     */
    static final double EXP_CUTOFF = -50.0;

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

    /** Greedy choice in a single pass: the largest value, ties to the lowest id. */
    int argmax() {
        int best = 0;
        float bestV = Float.NEGATIVE_INFINITY;
        int j = 0;
        int next = count > 0 ? ids[0] : vocab;
        for (int i = 0; i < vocab; i++) {
            float v;
            if (i == next) {
                v = vals[j++];
                next = j < count ? ids[j] : vocab;
            } else {
                v = logits[off + i];
            }
            if (v > bestV) {
                bestV = v;
                best = i;
            }
        }
        return best;
    }

    /** Largest value, or negative infinity if there is none. */
    float max() {
        float m = Float.NEGATIVE_INFINITY;
        int j = 0;
        int next = count > 0 ? ids[0] : vocab;
        for (int i = 0; i < vocab; i++) {
            float v;
            if (i == next) {
                v = vals[j++];
                next = j < count ? ids[j] : vocab;
            } else {
                v = logits[off + i];
            }
            if (v > m) m = v;
        }
        return m;
    }

    /** Sum over the vocabulary of {@code exp((v - max) * invTemp)}, in double. */
    double sumExp(float max, double invTemp) {
        double sum = 0;
        int j = 0;
        int next = count > 0 ? ids[0] : vocab;
        for (int i = 0; i < vocab; i++) {
            float v;
            if (i == next) {
                v = vals[j++];
                next = j < count ? ids[j] : vocab;
            } else {
                v = logits[off + i];
            }
            double x = ((double) v - max) * invTemp;
            if (x > EXP_CUTOFF) sum += Math.exp(x);
        }
        return sum;
    }

    /**
     * The first token whose running sum of {@code exp((v - max) * invTemp)}, accumulated exactly as
     * {@link #sumExp} does, exceeds {@code target}. Same order, same operations: a target below the
     * total always lands on a token with positive weight.
     */
    int drawIndex(float max, double invTemp, double target) {
        double acc = 0;
        int last = 0;
        int j = 0;
        int next = count > 0 ? ids[0] : vocab;
        for (int i = 0; i < vocab; i++) {
            float v;
            if (i == next) {
                v = vals[j++];
                next = j < count ? ids[j] : vocab;
            } else {
                v = logits[off + i];
            }
            double x = ((double) v - max) * invTemp;
            if (x > EXP_CUTOFF) {
                acc += Math.exp(x);
                last = i;
                if (acc > target) return i;
            }
        }
        return last;   // only reachable through rounding in the caller's target; stay on a real token
    }

    /** Fills {@code out} with the best {@code k} tokens of this view, sorted best first. */
    void selectTop(int k, Candidates out) {
        out.begin(Math.min(k, vocab));
        int j = 0;
        int next = count > 0 ? ids[0] : vocab;
        for (int i = 0; i < vocab; i++) {
            float v;
            if (i == next) {
                v = vals[j++];
                next = j < count ? ids[j] : vocab;
            } else {
                v = logits[off + i];
            }
            out.offer(i, v);
        }
        out.sortBestFirst();
    }
}
