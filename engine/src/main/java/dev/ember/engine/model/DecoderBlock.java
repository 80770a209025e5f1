package dev.ember.engine.model;

/** {@code x += attention(attnNorm(x)); x += ffn(ffnNorm(x))}: the pre-norm residual block. */
public record DecoderBlock(RmsNorm attentionNorm, Attention attention, RmsNorm ffnNorm, FeedForward ffn) {}
