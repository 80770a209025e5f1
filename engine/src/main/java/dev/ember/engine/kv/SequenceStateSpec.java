package dev.ember.engine.kv;

/**
 * A layer whose state is not a row per token (a sliding-window ring, compressor windows and
 * compressed entries): one {@link SequenceState} per sequence, kept on its {@link BlockTable}
 * and created on first use. The model's own package defines the kinds.
 *
 * @param <S> the state type, so that a layer gets its state back without an unchecked cast
 */
public non-sealed interface SequenceStateSpec<S extends SequenceState> extends LayerCacheSpec {
    Class<S> stateType();

    S newState();

    /** Bytes the state grows by per token (on average), for sizing the cache. */
    double bytesPerToken();
}
