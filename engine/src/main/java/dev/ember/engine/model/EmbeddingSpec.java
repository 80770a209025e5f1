package dev.ember.engine.model;

/**
 * How a model's hidden states become an embedding and how long its input may be.
 *
 * @param maxTokens  the longest input the model takes
 * @param truncate   true when the model asks for over-long inputs to be cut to {@code maxTokens}
 *                   (sentence-transformers' {@code max_seq_length}); otherwise they are errors
 */
public record EmbeddingSpec(int dimension, Pooling pooling, boolean normalize, int maxTokens, boolean truncate) {
    /** Reads {@code {arch}.pooling_type} and Ember's normalize/max-length keys, with {@code fallback} pooling. */
    public static EmbeddingSpec read(ModelParams p, int dimension, int contextLength, Pooling fallback) {
        int type = p.integer("pooling_type", -1);
        Pooling pooling = Pooling.fromGguf(type);
        if (pooling == null && type != -1) {
            throw new ModelLoadException(p.source().origin() + ": pooling_type " + type + " is not supported (1 mean, 2 cls, 3 last)");
        }
        // llama.cpp's tools normalize (L2) unless told otherwise; an HF folder says it with 2_Normalize.
        boolean normalize = p.source().metadata().get("ember.embedding.normalize") instanceof Boolean b ? b : true;
        int max = p.source().metadata().get("ember.embedding.max_seq_length") instanceof Long l ? Math.toIntExact(Math.min(l, contextLength)) : contextLength;
        boolean truncate = p.source().metadata().containsKey("ember.embedding.max_seq_length");
        return new EmbeddingSpec(dimension, pooling != null ? pooling : fallback, normalize, max, truncate);
    }

    /**
     * A decoder's spec, or null when its metadata gives no pooling type (a generative model).
     * A causal decoder's only state that has seen the whole text is the last token's, so last
     * pooling is the one it takes (Qwen3-Embedding, gte-Qwen2, e5-mistral; llama.cpp's
     * {@code --pooling last}).
     */
    public static EmbeddingSpec forDecoder(ModelParams p, int dimension, int contextLength) {
        int type = p.integer("pooling_type", -1);
        // 4 is llama.cpp's rank pooling (Qwen3-Reranker): not an embedding, and the model still
        // scores, as a decoder, the "yes"/"no" continuations a reranker is asked for.
        if (type == -1 || type == 0 || type == 4) return null;
        EmbeddingSpec spec = read(p, dimension, contextLength, Pooling.LAST);
        if (spec.pooling() != Pooling.LAST) {
            throw new ModelLoadException(p.source().origin() + ": pooling_type " + type + " (" + spec.pooling().name().toLowerCase()
                    + ") is not supported for a decoder; decoder embedding models pool the last token (pooling_type 3)");
        }
        return spec;
    }

    /**
     * The embedding of one sequence from its {@code tokens} hidden-state rows at {@code hidden[off]}
     * ({@code dimension} floats each): pooled, then normalized when the model says so. A decoder
     * hands only the rows its pooling reads (the last), so it passes those.
     */
    public float[] embedding(float[] hidden, int off, int tokens) {
        float[] v = pooling.pool(hidden, off, tokens, dimension);
        if (normalize) Pooling.normalize(v);
        return v;
    }
}
