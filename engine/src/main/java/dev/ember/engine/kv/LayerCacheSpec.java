package dev.ember.engine.kv;

/**
 * What one layer keeps per sequence, declared by the model (after vLLM's {@code KVCacheSpec} and
 * llama.cpp's hybrid memory). Paged kinds store rows per token in the block pool and can be shared
 * and copied a block at a time; a {@link SequenceStateSpec} keeps its state beside the blocks and
 * shares prefixes through block snapshots.
 */
public sealed interface LayerCacheSpec permits PagedKvSpec, LatentKvSpec, SharedKvSpec, SequenceStateSpec {
    /** Values per token of the key row this layer stores in the block pool (0 for none). */
    default int keyWidth() { return 0; }

    /** Values per token of the value row this layer stores in the block pool (0 for none). */
    default int valueWidth() { return 0; }

    /**
     * Values attention reads at a time: one KV head's. The block pool keeps a block's values in
     * panels of this width ({@link KvBlockPool}); the whole row unless a spec says otherwise.
     */
    default int valueHeadWidth() { return valueWidth(); }

    /** The same for keys: the block pool keeps dimension-major keys in panels of this width. */
    default int keyHeadWidth() { return keyWidth(); }
}
