package dev.ember.engine.sched;

/** Receives a sequence's next-token logits and decides what happens next. */
public interface SequenceSink {
    /**
     * True for an embedding request: its last prompt position hands its final hidden state to
     * {@link #onHiddenState} instead of computing logits, and the sequence then ends.
     */
    default boolean wantsHiddenState() { return false; }

    /** The final hidden state of the last prompt position ({@code dim} floats at {@code offset}); only when {@link #wantsHiddenState()}. */
    default void onHiddenState(Sequence seq, float[] hidden, int offset) {}

    /** The next token to append, or -1 to finish the sequence (the sink has recorded why). */
    int onLogits(Sequence seq, float[] logits, int offset);

    /**
     * {@code log p(token[position + 1] | tokens[..position])} at prompt position {@code position};
     * only for sequences added with scoring on. Computed in the model's head where it can
     * ({@link dev.ember.engine.model.LogProbHead}), from a logits row otherwise.
     */
    default void onPromptLogProb(Sequence seq, int position, double logProb) {}

    /** The sequence cannot continue (e.g. out of KV memory); the sink records the error. */
    void onFailure(Sequence seq, String error);

    /** Called once when the sequence is done and its blocks are released. */
    void onFinished(Sequence seq);
}
