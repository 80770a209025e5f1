package dev.ember.engine.model.v4;

import dev.ember.engine.kv.SequenceStateSpec;

/**
 * A compressed layer (CSA or HCA): the window ring plus compressed entries, one per
 * {@code ratio} tokens, and on CSA layers the lightning indexer's keys. The entries grow with the
 * context: {@code d / ratio} floats per token, plus {@code d_I / ratio} for the indexer keys.
 */
record CompressedEntriesSpec(V4Attention attention) implements SequenceStateSpec<V4LayerState> {
    @Override public Class<V4LayerState> stateType() { return V4LayerState.class; }
    @Override public V4LayerState newState() { return new V4LayerState(attention); }

    @Override
    public double bytesPerToken() {
        double floats = (double) attention.headDim() / attention.compressor().ratio();
        if (attention.indexer() != null) floats += (double) attention.indexer().headDim() / attention.indexer().compressor().ratio();
        return floats * 4;
    }
}
