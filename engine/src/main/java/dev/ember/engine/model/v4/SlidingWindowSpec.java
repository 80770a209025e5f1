package dev.ember.engine.model.v4;

import dev.ember.engine.kv.SequenceStateSpec;

/** A sliding-window layer: a ring of the last {@code window} KV vectors per sequence (fixed size). */
record SlidingWindowSpec(V4Attention attention) implements SequenceStateSpec<V4LayerState> {
    @Override public Class<V4LayerState> stateType() { return V4LayerState.class; }
    @Override public V4LayerState newState() { return new V4LayerState(attention); }
    @Override public double bytesPerToken() { return 0; }
}
