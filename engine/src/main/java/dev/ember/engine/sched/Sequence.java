package dev.ember.engine.sched;

import dev.ember.engine.kv.BlockTable;

/**
 * The scheduler's view of one running request: its tokens so far (prompt, then generated), how
 * many of them have KV state, and its block table. What to do with the logits is the owner's
 * business ({@link SequenceSink}); the scheduler only decides what runs in each step.
 */
public final class Sequence {
    private final long id;
    private final SequenceSink sink;
    private final BlockTable table;
    private int[] tokens;
    private int length;
    private final int promptLength;
    private int computed;
    private boolean finished;
    private final boolean scoresAllPositions;

    Sequence(long id, int[] prompt, BlockTable table, SequenceSink sink, boolean scoresAllPositions) {
        this.scoresAllPositions = scoresAllPositions;
        this.id = id;
        this.sink = sink;
        this.table = table;
        this.tokens = java.util.Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.length = prompt.length;
        this.promptLength = prompt.length;
    }

    public long id() { return id; }
    public BlockTable table() { return table; }
    public SequenceSink sink() { return sink; }
    public int promptLength() { return promptLength; }
    /** Tokens so far, prompt first. */
    public int length() { return length; }
    public int token(int i) { return tokens[i]; }
    public int[] tokens() { return tokens; }
    /** Positions whose KV state has been computed. */
    public int computed() { return computed; }
    public boolean inPrefill() { return computed < promptLength; }
    public boolean finished() { return finished; }
    /** Whether the sink wants the logits of every prompt position (scoring). */
    public boolean scoresAllPositions() { return scoresAllPositions; }

    void advanceComputed(int n) { computed += n; }

    void append(int token) {
        if (length == tokens.length) tokens = java.util.Arrays.copyOf(tokens, tokens.length * 2);
        tokens[length++] = token;
    }

    void markFinished() { finished = true; }
}
