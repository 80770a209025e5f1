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
     * Logits at prompt position {@code position} (predicting token {@code position + 1}); only for
     * sequences added with scoring on.
     */
    default void onPromptLogits(Sequence seq, int position, float[] logits, int offset) {}

    /** The sequence cannot continue (e.g. out of KV memory); the sink records the error. */
    void onFailure(Sequence seq, String error);

    /** Called once when the sequence is done and its blocks are released. */
    void onFinished(Sequence seq);
}
