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
}
