package dev.ember.engine.model;

/**
 * {@code x += postAttn(attention(attnNorm(x))); x += postFfn(ffn(ffnNorm(x)))}: the pre-norm
 * residual block; the post norms (Gemma 2 and 3 normalize each branch before the residual add)
 * are null elsewhere.
 */
public record DecoderBlock(RmsNorm attentionNorm, Attention attention, RmsNorm postAttentionNorm,
                           RmsNorm ffnNorm, FeedForward ffn, RmsNorm postFfnNorm) {
    public DecoderBlock(RmsNorm attentionNorm, Attention attention, RmsNorm ffnNorm, FeedForward ffn) {
        this(attentionNorm, attention, null, ffnNorm, ffn, null);
    }
}
