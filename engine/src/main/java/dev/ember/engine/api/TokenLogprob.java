package dev.ember.engine.api;

import java.util.List;

/** The log-probability of one generated token, with the top alternatives at that position. */
public record TokenLogprob(int tokenId, String token, float logprob, List<Alternative> top) {
    public record Alternative(int tokenId, String token, float logprob) {}
}
