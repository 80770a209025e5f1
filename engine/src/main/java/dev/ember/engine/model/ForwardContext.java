package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;

/**
 * What every part sees during one forward pass: the batch, its RoPE table, the compute and the
 * pass's reusable buffers.
 */
public record ForwardContext(ForwardBatch batch, Compute compute, float[] ropeTable, ForwardScratch scratch) {
    public int rows() { return batch.size(); }
    public Kernels kernels() { return compute.kernels(); }
    public WorkerPool pool() { return compute.pool(); }
}
