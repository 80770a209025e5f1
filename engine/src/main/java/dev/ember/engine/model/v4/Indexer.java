package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import dev.ember.engine.model.Rope;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * The lightning indexer of a CSA layer: its own overlapping compressor at {@code headDim} makes
 * one key per 4-token window; a query scores each visible key as
 * {@code Σ_h ω_h · ReLU(q_h · k) / sqrt(heads · headDim)} and the top {@code topK} entries are
 * attended.
 *
 * <p><b>Ties.</b> ReLU makes exact-zero scores common, so ties at the k-th place happen.
 * Ember breaks them deterministically: a higher score first, and among equal scores the older
 * entry (lower index). The same rule holds in prefill and decode, so chunking never changes
 * the choice. (PyTorch's topk leaves the tie order unspecified; parity fixtures avoid ties.)
 */
record Indexer(Compressor compressor, WeightMatrix queryUp, WeightMatrix headWeights, Rope rope, int heads, int headDim, int topK) {

    /** Entries visible to a query at {@code pos}: complete windows only. */
    int visible(EntryList keys, int pos) {
        return Math.min(keys.count(), (pos + 1) / compressor.ratio());
    }

    /**
     * Scores entries {@code [0, visible)} for one query row into {@code scores}: {@code q} holds
     * the row's roped queries ([heads × headDim] at {@code qOff}), {@code w} its head weights.
     */
    void score(Kernels k, WorkerPool pool, float[] q, int qOff, float[] w, int wOff, EntryList keys, int visible, float[] scores) {
        WeightMatrix queries = new WeightMatrix("indexer queries", TensorType.F32, heads, headDim,
                MemorySegment.ofArray(q).asSlice(4L * qOff, 4L * heads * headDim));
        float[] dots = new float[visible * heads];
        k.matmul(pool, queries, keys.data(), visible, dots);
        float scale = (float) (1.0 / Math.sqrt((double) heads * headDim));
        for (int e = 0; e < visible; e++) {
            float score = 0;
            for (int h = 0; h < heads; h++) {
                float dot = dots[e * heads + h];
                if (dot > 0) score += w[wOff + h] * dot;
            }
            scores[e] = score * scale;
        }
    }

    /**
     * The top {@code topK} of {@code visible} scored entries, as ascending indices in
     * {@code chosen}; returns how many (all of them when there are at most topK).
     */
    int select(float[] scores, int visible, int[] chosen) {
        if (visible <= topK) {
            for (int i = 0; i < visible; i++) chosen[i] = i;
            return visible;
        }
        long[] order = new long[visible];
        for (int e = 0; e < visible; e++) {
            // Sort key: descending score, then ascending index (the documented tie-break).
            int bits = Float.floatToIntBits(scores[e] + 0.0f);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            order[e] = ((long) ~sortable << 32) | e;
        }
        java.util.Arrays.sort(order);
        for (int i = 0; i < topK; i++) chosen[i] = (int) order[i];
        java.util.Arrays.sort(chosen, 0, topK);
        return topK;
    }
}
