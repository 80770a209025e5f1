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

    /** Human-readable summary: architecture, sizes, parameter count, tensor types. */
    String describe();
}
