package dev.ember.engine.runtime;

import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.model.EmbeddingSpec;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;

import java.util.concurrent.CompletableFuture;

/**
 * A decoder embedding request in the scheduler's batches: its prompt is prefilled like any other
 * (sharing cached prefixes such as an instruction), and its last position's final hidden state
 * comes here instead of logits, to be pooled by the model's {@link EmbeddingSpec}.
 */
final class EmbedRun implements SequenceSink {
    private final EmbeddingSpec spec;
    private final int tokens;
    private final boolean truncated;
    private final CompletableFuture<EmbedResult> future;
    private float[] embedding;
    private String error;

    EmbedRun(EmbeddingSpec spec, int tokens, boolean truncated, CompletableFuture<EmbedResult> future) {
        this.spec = spec;
        this.tokens = tokens;
        this.truncated = truncated;
        this.future = future;
    }

    @Override public boolean wantsHiddenState() { return true; }

    @Override
    public void onHiddenState(Sequence seq, float[] hidden, int offset) {
        embedding = spec.embedding(hidden, offset, 1); // the last token's row: what last pooling reads
    }

    @Override
    public int onLogits(Sequence seq, float[] logits, int offset) {
        return -1; // never asked: the scheduler hands this sequence a hidden state instead
    }

    @Override
    public void onFailure(Sequence seq, String error) {
        if (this.error == null) this.error = error == null ? "embedding failed" : error;
    }

    @Override
    public void onFinished(Sequence seq) {
        future.complete(embedding != null && error == null ? new EmbedResult(embedding, tokens, truncated, null)
                : EmbedResult.failed(error != null ? error : "embedding failed: no hidden state"));
    }
}
