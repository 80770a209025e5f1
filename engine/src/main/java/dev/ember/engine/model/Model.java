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
     * Prefix-cache granularity in tokens: KV blocks have this many positions, and the prefix cache
     * shares whole blocks. Models with windowed state choose a multiple of their windows.
     */
    default int cacheBlockSize() { return 16; }

    /** Human-readable summary: architecture, sizes, parameter count, tensor types. */
    String describe();
}
