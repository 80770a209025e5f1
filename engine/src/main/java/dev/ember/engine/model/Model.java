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
     * Prefix-cache granularity in tokens: KV blocks have this many positions, and the prefix cache
     * shares whole blocks. Models with windowed state choose a multiple of their windows.
     */
    default int cacheBlockSize() { return 16; }

    /**
     * Whether all of a sequence's state is in its KV blocks. Then the prefix cache shares blocks
     * as they are, and may also copy part of a block. Models that keep state beside the blocks
     * (DeepSeek-V4's window ring and compressors) say no and provide block snapshots instead.
     */
    default boolean stateInBlocks() { return true; }

    /**
     * For models whose state is not all in the blocks: the state a sequence needs to continue
     * after block {@code index} (its positions below {@code (index + 1) · cacheBlockSize()}),
     * recorded while that block was computed; called once per completed block, after the step
     * that completed it. The prefix cache keeps it with the block.
     */
    default Object takeBlockSnapshot(dev.ember.engine.kv.BlockTable table, int index) {
        throw new UnsupportedOperationException("this model keeps all its state in KV blocks");
    }

    /** Memory a block snapshot holds, for bounding the prefix cache. */
    default long snapshotBytes(Object snapshot) { return 0; }

    /** Rebuilds a new sequence's state from the snapshots of its first blocks, in order. */
    default void restorePrefix(dev.ember.engine.kv.BlockTable table, java.util.List<Object> snapshots) {
        throw new UnsupportedOperationException("this model keeps all its state in KV blocks");
    }

    /**
     * Bytes of cache per token that the pool's block widths do not show (state kept beside the
     * blocks), for sizing the pool; 0 for models whose state is all in the blocks.
     */
    default long extraStateBytesPerToken() { return 0; }

    /**
     * For benchmarks: makes {@code table} look as if {@code length} tokens had been processed,
     * with random state of the right size instead of a prefill (decode cost depends on how much
     * state there is, not on its values). Blocks must already be reserved. Models whose state is
     * all in the blocks get random keys and values there.
     */
    default void fillSyntheticState(dev.ember.engine.kv.BlockTable table, int length, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        dev.ember.engine.kv.KvBlockPool pool = table.pool();
        for (int l = 0; l < pool.layers(); l++) {
            float[] k = pool.keys(l), v = pool.values(l);
            int kw = pool.keyWidth(l), vw = pool.valueWidth(l);
            for (int p = 0; p < length; p++) {
                int slot = table.slot(p);
                for (int i = 0; i < kw; i++) k[slot * kw + i] = (float) rnd.nextGaussian();
                for (int i = 0; i < vw; i++) v[slot * vw + i] = (float) rnd.nextGaussian();
            }
        }
        table.setLength(length);
    }

    /** Human-readable summary: architecture, sizes, parameter count, tensor types. */
    String describe();
}
