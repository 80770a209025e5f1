package dev.ember.engine.sample;

/**
 * Finds top-p/min-p candidates without top-k and without sorting the vocabulary.
 *
 * <p>Tokens fall into fixed-width buckets by how far their logit is below the maximum
 * ({@value #PER_LOGIT} buckets per logit, everything more than {@value #RANGE} below in the last
 * one). One pass adds each token's weight to its bucket; the buckets, best first, show where the
 * cumulative mass reaches {@code p}; a second, exp-free pass collects only the tokens of the buckets
 * up to there; only those are sorted and cut exactly. A peaked distribution collects a handful of
 * tokens, a flat one only what the nucleus really needs plus one bucket.
 */
final class Nucleus {
    static final int PER_LOGIT = 8;
    static final int RANGE = 32;
    static final int BUCKETS = PER_LOGIT * RANGE + 1;

    private final double[] mass = new double[BUCKETS];

    /** Bucket of {@code v}: 0 for the max, {@code BUCKETS - 1} for anything far below, -inf or NaN. */
    static int bucket(float v, float max) {
        double d = ((double) max - v) * PER_LOGIT;
        return d < BUCKETS - 1 ? (int) d : BUCKETS - 1;
    }

    /**
     * Collects into {@code out} every token that can survive top-p {@code topP} and the min-p
     * threshold {@code minLogit}, sorted best first when top-p needs the order (the caller then cuts
     * exactly).
     *
     * @return the view's untempered total weight, which top-p is measured against; NaN when top-p is off
     */
    double collect(PenalizedLogits view, float max, float topP, double minLogit, Candidates out) {
        int lastBucket = BUCKETS - 1;
        double z = Double.NaN;
        if (topP < 1f) {
            java.util.Arrays.fill(mass, 0.0);
            z = view.bucketMass(max, mass);
            double target = topP * z;
            double cum = 0;
            for (lastBucket = 0; lastBucket < BUCKETS - 1; lastBucket++) {
                cum += mass[lastBucket];
                if (cum >= target) break;
            }
        }
        view.collect(max, lastBucket, minLogit, out);
        // Min-p alone keeps exactly what was collected, in id order: a fine order to draw in.
        if (topP < 1f) out.sortCollected();
        return z;
    }
}
