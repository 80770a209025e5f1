package dev.ember.engine.kv;

/**
 * A layer that attends over the keys and values an earlier layer cached (Gemma 3n's
 * cross-layer KV sharing: the last {@code shared_kv_layers} layers read the rows of the last
 * layer of their attention type before them). It stores nothing: both widths are 0, so the
 * block pool allocates no memory for it, and a sequence's rows for {@code sourceLayer} serve it.
 */
public record SharedKvSpec(int sourceLayer) implements LayerCacheSpec {
    public SharedKvSpec {
        if (sourceLayer < 0) throw new IllegalArgumentException("source layer " + sourceLayer);
    }
}
