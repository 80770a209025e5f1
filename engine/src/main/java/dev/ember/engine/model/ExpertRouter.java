package dev.ember.engine.model;

/**
 * Chooses each token's experts and their weights from the router logits, covering the routers
 * of Mixtral and Qwen3-MoE (softmax, top-k, renormalized), DeepSeek-V2 (softmax, optionally
 * group-limited by each group's best score, scaled) and DeepSeek-V3 (sigmoid, a selection-only
 * bias, groups ranked by the sum of their two best scores, renormalized, scaled) and gpt-oss
 * (top-k of the raw logits, then a softmax over the chosen ones).
 *
 * <p>Ties at the top-k boundary go to the lower expert index, so routing is deterministic.
 *
 * @param scoring      how logits become scores
 * @param selectionBias added to scores for choosing experts only (DeepSeek-V3's e_score_correction_bias), or null
 * @param groups       expert groups (1 = no group limit)
 * @param groupsUsed   groups a token may choose from
 * @param groupScore   how a group is ranked
 * @param normalize    divide the chosen weights by their sum
 * @param scale        multiply the final weights (routed_scaling_factor)
 */
public record ExpertRouter(int experts, int topK, Scoring scoring, float[] selectionBias, int groups, int groupsUsed,
                           GroupScore groupScore, boolean normalize, float scale, int[] hashTable) {
    /**
     * SQRT_SOFTPLUS is DeepSeek-V4's sqrt(softplus(logit)); SOFTMAX_CHOSEN chooses by the raw
     * logits and weighs the chosen by a softmax over their logits (gpt-oss; llama.cpp's
     * SOFTMAX_WEIGHT gating), which {@code normalize} cannot change.
     */
    public enum Scoring { SOFTMAX, SIGMOID, SQRT_SOFTPLUS, SOFTMAX_CHOSEN }

    public ExpertRouter(int experts, int topK, Scoring scoring, float[] selectionBias, int groups, int groupsUsed,
                        GroupScore groupScore, boolean normalize, float scale) {
        this(experts, topK, scoring, selectionBias, groups, groupsUsed, groupScore, normalize, scale, null);
    }

    /** This router choosing experts by token id from a frozen table ({@code tokenId * topK + k}), as V4's hash layers do. */
    public ExpertRouter withHashTable(int[] table) {
        return new ExpertRouter(experts, topK, scoring, selectionBias, groups, groupsUsed, groupScore, normalize, scale, table);
    }

    public enum GroupScore { MAX, TOP2_SUM }

    public ExpertRouter {
        if (topK < 1 || topK > experts) throw new ModelLoadException("experts used per token (" + topK + ") must be in [1, " + experts + "]");
        if (groups < 1 || experts % groups != 0) throw new ModelLoadException("expert groups (" + groups + ") must divide the expert count " + experts);
        if (groupsUsed < 1 || groupsUsed > groups) throw new ModelLoadException("expert groups used (" + groupsUsed + ") must be in [1, " + groups + "]");
        if (selectionBias != null && selectionBias.length != experts) throw new ModelLoadException("router bias has " + selectionBias.length + " entries for " + experts + " experts");
    }

    /**
     * Routes one token: reads {@code logits[off .. off + experts)}, writes the chosen expert ids
     * to {@code ids[0 .. topK)} and their weights to {@code weights}. {@code scratch} holds at
     * least {@code 2 * experts} floats.
     */
    public void route(float[] logits, int off, int[] ids, float[] weights, float[] scratch) {
        route(logits, off, ids, weights, scratch, -1);
    }

    /** As above; {@code tokenId} picks the experts when this router has a hash table. */
    public void route(float[] logits, int off, int[] ids, float[] weights, float[] scratch, int tokenId) {
        int n = experts;
        float[] scores = scratch;          // [0, n): the scores the weights come from
        int choice = n;                    // [n, 2n): the scores experts are chosen by
        if (scoring == Scoring.SOFTMAX) {
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < n; e++) max = Math.max(max, logits[off + e]);
            float sum = 0;
            for (int e = 0; e < n; e++) {
                scores[e] = (float) Math.exp(logits[off + e] - max);
                sum += scores[e];
            }
            for (int e = 0; e < n; e++) scores[e] /= sum;
        } else if (scoring == Scoring.SOFTMAX_CHOSEN) {
            System.arraycopy(logits, off, scores, 0, n);
        } else if (scoring == Scoring.SIGMOID) {
            for (int e = 0; e < n; e++) scores[e] = (float) (1.0 / (1.0 + Math.exp(-logits[off + e])));
        } else {
            for (int e = 0; e < n; e++) scores[e] = (float) Math.sqrt(softplus(logits[off + e]));
        }
        if (hashTable != null) {
            if (tokenId < 0 || (long) tokenId * topK + topK > hashTable.length) {
                throw new IllegalArgumentException("token " + tokenId + " outside the hash routing table");
            }
            for (int k = 0; k < topK; k++) {
                ids[k] = hashTable[tokenId * topK + k];
                weights[k] = scores[ids[k]];
            }
            finishWeights(weights);
            return;
        }
        for (int e = 0; e < n; e++) scratch[choice + e] = selectionBias == null ? scores[e] : scores[e] + selectionBias[e];
        if (groupsUsed < groups) maskGroups(scratch, choice);
        for (int k = 0; k < topK; k++) {
            int best = -1;
            for (int e = 0; e < n; e++) {
                float v = scratch[choice + e];
                if (v == Float.NEGATIVE_INFINITY) continue;
                if (best < 0 || v > scratch[choice + best]) best = e;
            }
            ids[k] = best;
            weights[k] = scores[best];
            scratch[choice + best] = Float.NEGATIVE_INFINITY;
        }
        finishWeights(weights);
    }

    /** Renormalizes and scales the chosen weights (sigmoid-style routers add 1e-20 to the sum, as transformers does). */
    private void finishWeights(float[] weights) {
        if (scoring == Scoring.SOFTMAX_CHOSEN) {
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < topK; k++) max = Math.max(max, weights[k]);
            float sum = 0;
            for (int k = 0; k < topK; k++) {
                weights[k] = (float) Math.exp(weights[k] - max);
                sum += weights[k];
            }
            for (int k = 0; k < topK; k++) weights[k] /= sum;
        } else if (normalize) {
            float sum = 0;
            for (int k = 0; k < topK; k++) sum += weights[k];
            float denom = sum + (scoring == Scoring.SOFTMAX ? 0f : 1e-20f);
            for (int k = 0; k < topK; k++) weights[k] /= denom;
        }
        if (scale != 1f) for (int k = 0; k < topK; k++) weights[k] *= scale;
    }

    /** ln(1 + e^x), with torch's linear branch above 20. */
    static double softplus(double x) {
        return x > 20 ? x : Math.log1p(Math.exp(x));
    }

    /** Keeps only the experts of the {@code groupsUsed} best groups (others set to -inf). */
    private void maskGroups(float[] scratch, int choice) {
        int size = experts / groups;
        float[] groupScores = new float[groups];
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < size; i++) {
                float v = scratch[choice + g * size + i];
                if (v > first) {
                    second = first;
                    first = v;
                } else if (v > second) {
                    second = v;
                }
            }
            groupScores[g] = groupScore == GroupScore.MAX ? first : first + second;
        }
        boolean[] keep = new boolean[groups];
        for (int k = 0; k < groupsUsed; k++) {
            int best = -1;
            for (int g = 0; g < groups; g++) if (!keep[g] && (best < 0 || groupScores[g] > groupScores[best])) best = g;
            keep[best] = true;
        }
        for (int g = 0; g < groups; g++) {
            if (!keep[g]) for (int i = 0; i < size; i++) scratch[choice + g * size + i] = Float.NEGATIVE_INFINITY;
        }
    }
}
