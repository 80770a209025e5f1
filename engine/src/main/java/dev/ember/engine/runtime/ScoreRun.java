package dev.ember.engine.runtime;

import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.sample.LogSoftmax;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;

import java.util.concurrent.CompletableFuture;

/**
 * Scores a token sequence: the sum of log p(token[i+1] | tokens[..i]) over the positions the
 * scheduler delivers (those from the sequence's {@code logitsFrom}), accumulated in double. The
 * first token (BOS, or the first text token) is context, never scored.
 */
final class ScoreRun implements SequenceSink {
    private final int vocab;
    private final CompletableFuture<ScoreResult> future;
    private double logprob;
    private int scored;
    private String error;

    ScoreRun(int vocab, CompletableFuture<ScoreResult> future) {
        this.vocab = vocab;
        this.future = future;
    }

    @Override
    public void onPromptLogits(Sequence seq, int position, float[] logits, int offset) {
        logprob += LogSoftmax.logProb(logits, offset, vocab, seq.token(position + 1));
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
        future.complete(error != null ? new ScoreResult(Double.NaN, scored, Double.NaN, error) : ScoreResult.of(logprob, scored));
    }
}
