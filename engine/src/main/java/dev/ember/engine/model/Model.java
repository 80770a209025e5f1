package dev.ember.engine.model;

/**
 * A loaded language model. The forward pass takes a ragged batch and writes the logits of the
 * requested rows; the KV state it keeps per token and layer is described by {@link #keyWidths()}
 * and {@link #valueWidths()} so that the batch engine can size its block pool.
 */
public interface Model {
    ModelConfig config();

    /** Floats of key state per token, per layer. */
    int[] keyWidths();

    /** Floats of value state per token, per layer. */
    int[] valueWidths();

    /**
     * Runs the batch. {@code logits} receives {@code batch.logitRows().length × vocab} floats, row
     * after row. A row's results never depend on the other rows in the batch.
     */
    void forward(ForwardBatch batch, float[] logits);

    /**
     * Whether KV blocks hold the whole per-sequence state, so the prefix cache may share them. A
     * model that keeps state outside the blocks (a sliding-window ring, compressor state) says no.
     */
    default boolean sharesPrefixBlocks() { return true; }

    /**
     * Bytes of cache per token that the pool's block widths do not show (state kept beside the
     * blocks), for sizing the pool; 0 for models whose state is all in the blocks.
     */
    default long extraStateBytesPerToken() { return 0; }

    /** Human-readable summary: architecture, sizes, parameter count, tensor types. */
    String describe();
}
