package dev.ember.engine.model;

import dev.ember.engine.kv.LayerCacheSpec;

/** An attention slot of a decoder block: reads normed activations, writes its output rows. */
public interface Attention {
    /** What this layer keeps per sequence. */
    LayerCacheSpec cacheSpec();

    /** {@code out[rows × dim] = attention(in[rows × dim])}, storing this layer's KV state for the batch rows. */
    void forward(ForwardContext ctx, int layer, float[] in, float[] out);
}
