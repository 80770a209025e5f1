package dev.ember.engine.sched;

import dev.ember.engine.kv.BlockTable;

import java.util.Arrays;

/**
 * The scheduler's view of one request: its tokens so far (prompt, then generated), how many of
 * them have KV state, and its block table. Positions {@code computed .. length-1} still need a
 * forward pass: a whole prompt at first, one token per step while decoding, everything again
 * after a preemption. What to do with the logits is the sink's business.
 */
public final class Sequence {
    private final long id;
    private final SequenceSink sink;
    private final BlockTable table;
    private final int promptLength;
    private final int logitsFrom;
    private final boolean embedding;
    private int[] tokens;
    private int length;
    private int computed;
    private boolean finished;
    private int cachedPromptTokens = -1;
    private int forkedPromptTokens;
    int preemptions;
    /** A prompt position this sequence's prefill stops at for a step, so that waiting sequences sharing the prompt up to there can fork from it; 0 for none. */
    int forkPoint;

    Sequence(long id, int[] prompt, BlockTable table, SequenceSink sink, int logitsFrom) {
        this.id = id;
        this.sink = sink;
        this.table = table;
        this.logitsFrom = logitsFrom;
        this.embedding = sink.wantsHiddenState();
        this.tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
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
    /** Positions that still need a forward pass. */
    public int pending() { return length - computed; }
    public boolean inPrefill() { return computed < promptLength; }
    public boolean finished() { return finished; }
    /** An embedding request: its last position yields a hidden state, not logits. */
    public boolean embedding() { return embedding; }
    /** First prompt position whose logits the sink wants ({@link SequenceSink#onPromptLogits}); promptLength for none. */
    public int logitsFrom() { return logitsFrom; }

    /** Whether position {@code pos} (not the last token) needs its logits delivered for scoring. */
    boolean wantsPromptLogits(int pos) { return pos >= logitsFrom && pos < promptLength - 1; }

    /** Whether any prompt position still to be computed wants its logits (scoring in progress). */
    boolean scoring() { return computed < promptLength - 1 && logitsFrom < promptLength - 1; }
    /** Prompt tokens served from the prefix cache at admission (0 before admission). */
    public int cachedPromptTokens() { return Math.max(0, cachedPromptTokens); }
    /** Prompt tokens copied at admission from a running sequence this one forked from (beyond the cached ones). */
    public int forkedPromptTokens() { return forkedPromptTokens; }
    public int preemptions() { return preemptions; }

    void setComputed(int n) { computed = n; }

    /** Prompt tokens served from the prefix cache and copied from a fork source, at the first admission only. */
    void recordStart(int cached, int forked) {
        if (cachedPromptTokens >= 0) return;
        cachedPromptTokens = cached;
        forkedPromptTokens = forked;
    }

    void append(int token) {
        if (length == tokens.length) tokens = Arrays.copyOf(tokens, tokens.length * 2);
        tokens[length++] = token;
    }

    void markFinished() { finished = true; }
}
