package dev.ember.engine.api;

/** The log-likelihood of a text under the model: total log-prob (natural log), scored tokens and perplexity. */
public record ScoreResult(double logprob, int tokens, double perplexity, String error) {
    public static ScoreResult of(double logprob, int tokens) {
        return new ScoreResult(logprob, tokens, tokens == 0 ? Double.NaN : Math.exp(-logprob / tokens), null);
    }
}
