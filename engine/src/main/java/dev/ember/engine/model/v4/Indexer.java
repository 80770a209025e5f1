package dev.ember.engine.model.v4;

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

    /**
     * Chooses the entries query position {@code pos} attends, writing their indices to
     * {@code chosen} and returning how many. {@code q} holds this row's roped queries
     * ([heads × headDim] at {@code qOff}), {@code w} its head weights at {@code wOff}.
     */
    int select(float[] q, int qOff, float[] w, int wOff, EntryList keys, int pos, int[] chosen) {
        int visible = Math.min(keys.count(), (pos + 1) / compressor.ratio());
        if (visible <= topK) {
            for (int i = 0; i < visible; i++) chosen[i] = i;
            return visible;
        }
        float scale = (float) (1.0 / Math.sqrt((double) heads * headDim));
        float[] data = keys.data();
        long[] order = new long[visible];
        for (int e = 0; e < visible; e++) {
            int ko = keys.offset(e);
            float score = 0;
            for (int h = 0; h < heads; h++) {
                float dot = 0;
                int qo = qOff + h * headDim;
                for (int i = 0; i < headDim; i++) dot += q[qo + i] * data[ko + i];
                if (dot > 0) score += w[wOff + h] * dot;
            }
            // Sort key: descending score, then ascending index (the documented tie-break).
            int bits = Float.floatToIntBits(score * scale + 0.0f);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            order[e] = ((long) ~sortable << 32) | e;
        }
        java.util.Arrays.sort(order);
        for (int k = 0; k < topK; k++) chosen[k] = (int) order[k];
        java.util.Arrays.sort(chosen, 0, topK);
        return topK;
    }
}
