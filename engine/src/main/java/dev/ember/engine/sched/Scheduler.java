package dev.ember.engine.sched;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Continuous batching: each {@link #step()} runs one forward pass over a ragged batch made of
 * one decode token for every running sequence past its prompt, plus prompt chunks of
 * sequences still in prefill, within a per-step token budget. Sequences are admitted while
 * KV blocks and the sequence limit allow, and leave as soon as they finish. Not thread-safe:
 * one engine thread drives it.
 */
public final class Scheduler {
    private final Model model;
    private final KvBlockPool pool;
    private final int maxBatchTokens;
    private final int maxSequences;
    private final int contextLength;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final float[] logits;
    private final int logitCapacity;
    private long nextId;

    /** Most prompt rows per step whose logits a scoring sequence may ask for (bounds the logits buffer). */
    static final int SCORE_ROWS_PER_STEP = 32;

    public Scheduler(Model model, KvBlockPool pool, int maxBatchTokens, int maxSequences, int contextLength) {
        this.model = model;
        this.pool = pool;
        this.maxBatchTokens = maxBatchTokens;
        this.maxSequences = maxSequences;
        this.contextLength = contextLength;
        this.logitCapacity = maxSequences + SCORE_ROWS_PER_STEP;
        this.logits = new float[logitCapacity * model.config().vocabSize()];
    }

    public int contextLength() { return contextLength; }

    /** Queues a prompt; the sink hears about every token. The prompt must fit the context. */
    public Sequence add(int[] prompt, SequenceSink sink) {
        return add(prompt, sink, false);
    }

    /**
     * Queues a prompt. With {@code scoreAllPositions} the sink also gets the logits of every prompt
     * position ({@link SequenceSink#onPromptLogits}), for scoring.
     */
    public Sequence add(int[] prompt, SequenceSink sink, boolean scoreAllPositions) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (prompt.length > contextLength) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length " + contextLength);
        Sequence s = new Sequence(nextId++, prompt, new BlockTable(pool), sink, scoreAllPositions);
        waiting.add(s);
        return s;
    }

    public boolean idle() { return waiting.isEmpty() && running.isEmpty(); }

    public int runningCount() { return running.size(); }

    /** Runs one forward step; returns the number of tokens processed (0 when idle). */
    public int step() {
        admit();
        if (running.isEmpty()) return 0;
        int budget = maxBatchTokens;
        List<Sequence> rowsSeq = new ArrayList<>();
        List<Integer> rowsCount = new ArrayList<>();
        // Decode tokens first: they keep latency low and cost one row each.
        for (Sequence s : running) {
            if (!s.inPrefill() && budget > 0) {
                if (!reserve(s, s.computed() + 1)) continue;
                rowsSeq.add(s);
                rowsCount.add(1);
                budget--;
            }
        }
        int logitRowsLeft = logitCapacity - rowsSeq.size();
        for (Sequence s : running) {
            if (s.inPrefill() && budget > 0 && !s.finished()) {
                int n = Math.min(budget, s.promptLength() - s.computed());
                if (s.scoresAllPositions()) {
                    n = Math.min(n, logitRowsLeft);
                    if (n == 0) continue;
                    logitRowsLeft -= n;
                } else if (s.computed() + n == s.length()) {
                    if (logitRowsLeft == 0) continue;
                    logitRowsLeft--;
                }
                if (!reserve(s, s.computed() + n)) continue;
                rowsSeq.add(s);
                rowsCount.add(n);
                budget -= n;
            }
        }
        retireFinished();
        if (rowsSeq.isEmpty()) return 0;
        int size = maxBatchTokens - budget;
        int[] tokens = new int[size];
        int[] positions = new int[size];
        BlockTable[] tables = new BlockTable[size];
        int[] logitRows = new int[logitCapacity];
        Sequence[] logitSeqs = new Sequence[logitCapacity];
        int[] logitPositions = new int[logitCapacity];
        int r = 0, nLogits = 0;
        for (int i = 0; i < rowsSeq.size(); i++) {
            Sequence s = rowsSeq.get(i);
            if (s.finished()) continue;
            int n = rowsCount.get(i);
            for (int j = 0; j < n; j++) {
                int pos = s.computed() + j;
                tokens[r] = s.token(pos);
                positions[r] = pos;
                tables[r] = s.table();
                // The last known token's logits give the next token; scoring wants every position's.
                if (pos == s.length() - 1 || (s.scoresAllPositions() && s.inPrefill())) {
                    logitRows[nLogits] = r;
                    logitPositions[nLogits] = pos;
                    logitSeqs[nLogits++] = s;
                }
                r++;
            }
        }
        if (r == 0) return 0;
        ForwardBatch batch = new ForwardBatch(r, tokens, positions, tables, java.util.Arrays.copyOf(logitRows, nLogits));
        model.forward(batch, logits);
        for (int i = 0; i < rowsSeq.size(); i++) {
            Sequence s = rowsSeq.get(i);
            if (s.finished()) continue;
            s.advanceComputed(rowsCount.get(i));
            s.table().setLength(s.computed());
        }
        int vocab = model.config().vocabSize();
        for (int i = 0; i < nLogits; i++) {
            Sequence s = logitSeqs[i];
            if (s.finished()) continue;
            if (logitPositions[i] < s.length() - 1) {
                s.sink().onPromptLogits(s, logitPositions[i], logits, i * vocab);
                continue;
            }
            int next = s.sink().onLogits(s, logits, i * vocab);
            if (next < 0) {
                s.markFinished();
            } else if (s.length() >= contextLength) {
                s.markFinished(); // no room for the sampled token's position; the sink saw it as the last one
                s.sink().onFailure(s, null);
            } else {
                s.append(next);
            }
        }
        retireFinished();
        return r;
    }

    private boolean reserve(Sequence s, int newLength) {
        if (s.table().ensureCapacity(newLength)) return true;
        s.markFinished();
        s.sink().onFailure(s, "KV cache exhausted: " + pool.numBlocks() + " blocks of " + pool.blockSize()
                + " tokens are in use; raise the KV cache budget or lower max sequences");
        return false;
    }

    private void admit() {
        while (!waiting.isEmpty() && running.size() < maxSequences) {
            Sequence s = waiting.peek();
            int need = (s.promptLength() + pool.blockSize()) / pool.blockSize();
            if (need > pool.freeBlocks() && !running.isEmpty()) break; // wait for running sequences to free blocks
            waiting.poll();
            running.add(s);
        }
    }

    /** Ends every sequence, running or waiting, with {@code error} (engine shutdown or a failed step). */
    public void failAll(String error) {
        for (Sequence s : running) {
            if (!s.finished()) {
                s.markFinished();
                s.sink().onFailure(s, error);
            }
        }
        retireFinished();
        Sequence s;
        while ((s = waiting.poll()) != null) {
            s.markFinished();
            s.sink().onFailure(s, error);
            s.sink().onFinished(s);
        }
    }

    private void retireFinished() {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.finished()) {
                it.remove();
                s.table().release();
                s.sink().onFinished(s);
            }
        }
    }
}
