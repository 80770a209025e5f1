package dev.ember.engine.sample;

import dev.ember.engine.api.TokenLogprob;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Reported log-probs: the log-softmax of the model's raw logits (before penalties, truncation and
 * temperature), for the chosen token and the {@code topN} most likely tokens. Raw rather than
 * processed because that is what the model believes, it is the same whatever the sampling options
 * (so it is comparable across requests and with scoring), and it is what vLLM reports by default;
 * processed values would be -infinity for every token top-k/top-p removed.
 */
final class Logprobs {
    private final int vocab;
    private final int topN;
    private final PenalizedLogits raw;
    private final Candidates top;

    Logprobs(int vocab, int topN) {
        this.vocab = vocab;
        this.topN = topN;
        this.raw = new PenalizedLogits(vocab);
        this.top = new Candidates(Math.max(1, topN));
    }

    TokenLogprob of(float[] logits, int off, int token, IntFunction<String> tokenText) {
        java.util.Objects.checkIndex(token, vocab);
        double lse = LogSoftmax.logSumExp(logits, off, vocab);
        List<TokenLogprob.Alternative> alternatives;
        if (topN > 0) {
            raw.reset(logits, off);
            raw.selectTop(topN, top);
            alternatives = new ArrayList<>(top.size());
            for (int i = 0; i < top.size(); i++) {
                int id = top.id(i);
                alternatives.add(new TokenLogprob.Alternative(id, tokenText.apply(id), (float) (top.val(i) - lse)));
            }
            alternatives = List.copyOf(alternatives);
        } else {
            alternatives = List.of();
        }
        return new TokenLogprob(token, tokenText.apply(token), (float) (logits[off + token] - lse), alternatives);
    }
}
