package dev.ember.engine.model;

import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.kv.LayerCacheSpec;

import java.util.List;

/**
 * A loaded language model. The forward pass takes a ragged batch and writes the logits of the
 * requested rows; what it keeps per sequence and layer is declared by {@link #cacheSpecs()}, from
 * which the engine builds its cache.
 */
public interface Model {
    ModelConfig config();

    /** Per layer, the state a sequence keeps: paged rows per token, or state beside the blocks. */
    List<LayerCacheSpec> cacheSpecs();

    /** Values of key row per token, per layer (from {@link #cacheSpecs()}). */
    default int[] keyWidths() { return CacheManager.keyWidths(cacheSpecs()); }

    /** Values of value row per token, per layer (from {@link #cacheSpecs()}). */
    default int[] valueWidths() { return CacheManager.valueWidths(cacheSpecs()); }

    /**
     * Runs the batch. {@code logits} receives {@code batch.logitRows().length × vocab} floats, row
     * after row. A row's results never depend on the other rows in the batch.
     */
    void forward(ForwardBatch batch, float[] logits);

    /**
     * Runs the batch as {@link #forward(ForwardBatch, float[])} does, and also hands the final
     * hidden state (after the output norm, the vector the head would read) of each of
     * {@code batch.hiddenRows()} to {@code hidden}, {@code dim} floats per row in that order;
     * those rows compute no logits. Only models that embed through the cache implement it.
     */
    default void forward(ForwardBatch batch, float[] logits, float[] hidden) {
        if (batch.hiddenRows().length > 0) throw new UnsupportedOperationException(config().architecture() + " cannot return hidden states");
        forward(batch, logits);
    }

    /**
     * Runs the batch as {@link #forward(ForwardBatch, float[], float[])} does, and also writes
     * {@code log p(batch.scoreTargets()[i])} at each of {@code batch.scoreRows()} into
     * {@code logProbs[i]} through {@link LogProbHead}, without a logits row; NaN when the row's
     * logits are not finite. Only models whose {@link #fusesScoring()} is true take score rows.
     */
    default void forward(ForwardBatch batch, float[] logits, float[] hidden, double[] logProbs) {
        if (batch.scoreRows().length > 0) throw new UnsupportedOperationException(config().architecture() + " cannot score in its head");
        forward(batch, logits, hidden);
    }

    /** True when {@link #forward(ForwardBatch, float[], float[], double[])} takes score rows. */
    default boolean fusesScoring() { return false; }

    /**
     * How the model turns a text into one vector, or null when it is not an embedding model (a
     * decoder is one when its metadata gives a pooling type, as llama.cpp's converter writes it).
     */
    default EmbeddingSpec embeddingSpec() { return null; }

    /**
     * Prefix-cache granularity in tokens: KV blocks have this many positions, and the prefix cache
     * shares whole blocks. Models with windowed state choose a multiple of their windows.
     */
    default int cacheBlockSize() { return 16; }

    /** Human-readable summary: architecture, sizes, parameter count, tensor types. */
    String describe();
}
