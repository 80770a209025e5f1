package dev.ember.engine.sample;

/** The tokens a request may produce next, as a bitset over the vocabulary (bit {@code id % 64} of word {@code id / 64}). */
public interface TokenMask {
    /** The allowed ids for the next token; the sampler only reads it. */
    long[] allowedTokens();
}
