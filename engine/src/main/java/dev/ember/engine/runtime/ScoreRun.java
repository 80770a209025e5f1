package dev.ember.engine.runtime;

import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;

import java.util.concurrent.CompletableFuture;

/**
 * Scores a token sequence: the sum of log p(token[i+1] | tokens[..i]) over the positions the
 * scheduler delivers (those from the sequence's {@code logitsFrom}), accumulated in double. The
 * first token (BOS, or the first text token) is context, never scored.
 */
final class ScoreRun implements SequenceSink {
    private final CompletableFuture<ScoreResult> future;
    private final EngineCounters counters;
    private double logprob;
    private int scored;
    private String error;

    ScoreRun(CompletableFuture<ScoreResult> future, EngineCounters counters) {
        this.future = future;
        this.counters = counters;
    }

    @Override
    public void onPromptLogProb(Sequence seq, int position, double logProb) {
        logprob += logProb;
        scored++;
    }

    @Override
    public int onLogits(Sequence seq, float[] logits, int offset) {
        return -1; // the last position predicts past the text: nothing to score
    }

    @Override
    public void onFailure(Sequence seq, String error) {
        this.error = error == null ? "context full" : error;
    }

    @Override
    public void onFinished(Sequence seq) {
        if (seq != null) { // null: refused before it reached the scheduler
            counters.promptTokens.add(seq.promptLength());
            counters.cachedPromptTokens.add(seq.cachedPromptTokens());
            counters.forkedPromptTokens.add(seq.forkedPromptTokens());
        }
        future.complete(error != null ? new ScoreResult(Double.NaN, scored, Double.NaN, error) : ScoreResult.of(logprob, scored));
    }
}
