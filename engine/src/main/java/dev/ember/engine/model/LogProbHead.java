package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.Arrays;

/**
 * Scoring through the output head without a [rows x vocab] logits matrix: {@code log p(target)}
 * per row of final hidden states. The head runs over slices of {@link #SLICE} vocabulary rows;
 * after each slice a row keeps its running maximum, its sum of {@code exp(logit - max)} (in
 * double, rescaled when the maximum rises) and its target's logit. Memory is rows x SLICE floats
 * instead of rows x vocab (a 512-row step of a 151,936-token vocabulary: 8 MiB instead of 297 MiB),
 * so a scoring step is bounded by its token budget, not by a logits buffer.
 *
 * <p>A row's result depends only on its own hidden state: the slices are fixed and every logit is
 * the head matmul's (whose per-output reduction order never depends on the batch). It equals
 * {@link dev.ember.engine.sample.LogSoftmax#logProb} over the full row up to the rounding of the
 * double sum (the sum is split per slice). A NaN or +infinity logit gives NaN, as there.
 */
public final class LogProbHead {
    /** Vocabulary rows per head slice: a multiple of every interleave width. */
    static final int SLICE = 4096;

    private static final ForwardScratch.Slot LOGITS = new ForwardScratch.Slot("head logits slice");

    private LogProbHead() {}

    /**
     * {@code out[i] = log softmax(head · normed[i])[targets[i]]} for {@code i < rows}, where
     * {@code normed} holds rows of the head's input width and {@code softcap > 0} applies
     * {@code cap · tanh(logit / cap)} to every logit first. The slice of logits it works in comes
     * from the pass's {@code scratch}.
     */
    public static void logProbs(Compute compute, ForwardScratch scratch, WeightMatrix head, float softcap, float[] normed, int rows, int[] targets,
                                double[] out) {
        if (rows == 0) return;
        Kernels k = compute.kernels();
        int vocab = head.rows();
        for (int i = 0; i < rows; i++) java.util.Objects.checkIndex(targets[i], vocab);
        int width = Math.min(SLICE, vocab);
        float[] logits = scratch.floats(LOGITS, rows * width);
        float[] max = new float[rows];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        double[] sum = new double[rows];
        float[] target = new float[rows];
        boolean[] broken = new boolean[rows];
        for (int from = 0; from < vocab; from += width) {
            int n = Math.min(width, vocab - from), first = from;
            k.matmul(compute.pool(), head.rowSlice(from, from + n), normed, rows, logits);
            if (softcap > 0) SoftCap.apply(logits, 0, rows * n, softcap);
            compute.pool().parallelFor(rows, r -> {
                int off = r * n;
                int t = targets[r] - first;
                if (t >= 0 && t < n) target[r] = logits[off + t];
                float m = max[r];
                float sliceMax = k.max(logits, off, n); // NaN if any logit is NaN
                if (sliceMax != sliceMax || sliceMax == Float.POSITIVE_INFINITY) broken[r] = true;
                if (broken[r]) return;
                if (sliceMax > m) {
                    sum[r] *= Math.exp((double) m - sliceMax); // exp(-inf) = 0 for the first slice
                    max[r] = m = sliceMax;
                }
                if (m != Float.NEGATIVE_INFINITY) sum[r] += k.sumExp(logits, off, n, m);
            });
        }
        for (int r = 0; r < rows; r++) {
            if (broken[r]) out[r] = Double.NaN;
            else if (max[r] == Float.NEGATIVE_INFINITY) out[r] = Double.NaN; // every logit -inf: no distribution
            else out[r] = target[r] - (max[r] + Math.log(sum[r]));
        }
    }
}
