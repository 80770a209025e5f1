package dev.ember.engine.model;

import java.util.List;

/**
 * A model that embeds whole sequences in one pass without a cache (an encoder). Decoder
 * embedding models instead run in the scheduler's batches over the KV cache and hand the last
 * token's hidden state to their request ({@link Model#forward(ForwardBatch, float[], float[])}).
 */
public interface EmbeddingModel {
    EmbeddingSpec embeddingSpec();

    /** One pooled (and, per {@link #embeddingSpec()}, normalized) vector per sequence; a vector never depends on the others. */
    float[][] embed(List<int[]> sequences);
}
