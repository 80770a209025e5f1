package dev.ember.engine.sample;

import java.util.Objects;

/**
 * Log-softmax of one logits row, accumulated in double around the row's maximum so neither a large
 * vocabulary nor large logits lose precision. Used for scoring (perplexity) and for reported
 * log-probs. NaN or +infinity in the row yields NaN, so a broken forward pass is visible in a score
 * rather than silently ignored.
 */
public final class LogSoftmax {
    private LogSoftmax() {}

    /** {@code log(sum_i exp(logits[off + i]))} over {@code i < vocab}; negative infinity for an all -inf row. */
    public static double logSumExp(float[] logits, int off, int vocab) {
        Objects.checkFromIndexSize(off, vocab, logits.length);
        float max = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int i = off, end = off + vocab; i < end; i++) {
            float v = logits[i];
            if (v > max) max = v;
            else if (v != v) nan = true;
        }
        if (nan || max == Float.POSITIVE_INFINITY) return Double.NaN;
        if (max == Float.NEGATIVE_INFINITY) return Double.NEGATIVE_INFINITY;
        return max + Math.log(dev.ember.engine.kernels.Kernels.get().sumExp(logits, off, vocab, max));
    }

    /** Natural-log probability of {@code token} under the softmax of the row. */
    public static double logProb(float[] logits, int off, int vocab, int token) {
        Objects.checkIndex(token, vocab);
        return logits[off + token] - logSumExp(logits, off, vocab);
    }
}
