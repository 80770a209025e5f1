package dev.ember.engine.model;

/** A feed-forward slot of a decoder block (dense SwiGLU, or a mixture of experts). */
public interface FeedForward {
    /** {@code out[rows × dim] = ffn(in[rows × dim])}. */
    void forward(ForwardContext ctx, float[] in, float[] out);
}
