package dev.ember.engine.model;

import java.util.List;

/** A model that turns token sequences into fixed-size vectors. */
public interface EmbeddingModel {
    EmbeddingSpec embeddingSpec();

    /** One pooled (and, per {@link #embeddingSpec()}, normalized) vector per sequence; a vector never depends on the others. */
    float[][] embed(List<int[]> sequences);
}
