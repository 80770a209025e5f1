package dev.ember.engine.sched;

/** Receives a sequence's next-token logits and decides what happens next. */
public interface SequenceSink {
    /** The next token to append, or -1 to finish the sequence (the sink has recorded why). */
    int onLogits(Sequence seq, float[] logits, int offset);

    /**
     * Logits at prompt position {@code position} (predicting token {@code position + 1}); only for
     * sequences added with scoring on.
     */
    default void onPromptLogits(Sequence seq, int position, float[] logits, int offset) {}

    /** The sequence cannot continue (e.g. out of KV memory); the sink records the error. */
    void onFailure(Sequence seq, String error);

    /** Called once when the sequence is done and its blocks are released. */
    void onFinished(Sequence seq);
}
