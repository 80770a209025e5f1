package dev.ember.engine.model;

/** An attention slot of a decoder block: reads normed activations, writes its output rows. */
public interface Attention {
    /** Floats of key state this layer keeps per token. */
    int keyWidth();

    /** Floats of value state this layer keeps per token. */
    int valueWidth();

    /** {@code out[rows × dim] = attention(in[rows × dim])}, storing this layer's KV state for the batch rows. */
    void forward(ForwardContext ctx, int layer, float[] in, float[] out);
}
