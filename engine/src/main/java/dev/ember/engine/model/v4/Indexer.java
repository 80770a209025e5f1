package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
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
     * Keys are read from their dimension-major block copy, a block of keys per kernel pass with no
     * per-key reduction (at 32k tokens a CSA layer scores 8,192 keys for every head).
     */
    void score(Kernels k, WorkerPool pool, float[] q, int qOff, float[] w, int wOff, EntryList keys, int visible, float[] scores) {
        int kb = keys.keyBlock();
        if (kb != k.keyBlock()) throw new IllegalStateException("indexer keys laid out in blocks of " + kb + ", kernels read " + k.keyBlock());
        float[] blocks = keys.blocks();
        float scale = (float) (1.0 / Math.sqrt((double) heads * headDim));
        int nBlocks = (visible + kb - 1) / kb;
        int perTask = 16;
        pool.parallelFor((nBlocks + perTask - 1) / perTask, t -> {
            float[] dots = new float[heads * kb];
            float[] acc = new float[kb];
            for (int b = t * perTask; b < Math.min(nBlocks, (t + 1) * perTask); b++) {
                java.util.Arrays.fill(acc, 0f);
                // every head against the block at once: the heads share each key load
                k.scoresBlocks(q, qOff, headDim, heads, blocks, b * kb * headDim, headDim, kb, dots, 0, kb);
                for (int h = 0; h < heads; h++) {
                    float wh = w[wOff + h];
                    for (int j = 0; j < kb; j++) if (dots[h * kb + j] > 0) acc[j] += wh * dots[h * kb + j];
                }
                int n = Math.min(kb, visible - b * kb);
                for (int j = 0; j < n; j++) scores[b * kb + j] = acc[j] * scale;
            }
        });
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
