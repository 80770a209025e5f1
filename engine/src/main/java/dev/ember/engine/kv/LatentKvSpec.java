package dev.ember.engine.kv;

/**
 * Multi-head latent attention: per token, the normalized KV latent and the shared RoPE key, one
 * row that serves as key (all of it) and value (the latent), paged in blocks.
 */
public record LatentKvSpec(int kvRank, int ropeDim) implements LayerCacheSpec {
    @Override public int keyWidth() { return kvRank + ropeDim; }
}
