package dev.ember.engine.sched;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.kv.RadixPrefixCache;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Continuous batching over a paged KV cache with prefix sharing. Each {@link #step()} runs one
 * forward pass over a ragged batch: one decode token for every running sequence that has one,
 * plus prompt chunks, within a per-step token budget. Sequences are admitted while KV blocks and
 * the sequence limit allow, starting from the longest cached prefix of their prompt, and leave as
 * soon as they finish. When the pool runs dry, unreferenced cached blocks are evicted (LRU) and,
 * if that is not enough, the most recently admitted sequence is preempted: its blocks are
 * released and it is recomputed later (its cached full blocks usually survive, so recomputation is
 * cheap). Batch-invariant kernels make all of this invisible in the output. Not thread-safe: one
 * engine thread drives it.
 */
public final class Scheduler {
    /** Most prompt rows per step whose logits a scoring sequence may ask for (bounds the logits buffer). */
    static final int SCORE_ROWS_PER_STEP = 32;

    private final Model model;
    private final KvBlockPool pool;
    private final RadixPrefixCache cache;
    private final int maxBatchTokens;
    private final int maxSequences;
    private final int contextLength;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final float[] logits;
    private final int logitCapacity;
    private boolean prefixSharing = true;
    private long nextId;
    private long preemptionCount;

    public Scheduler(Model model, KvBlockPool pool, int maxBatchTokens, int maxSequences, int contextLength) {
        this.model = model;
        this.pool = pool;
        this.cache = new RadixPrefixCache(pool);
        this.maxBatchTokens = maxBatchTokens;
        this.maxSequences = maxSequences;
        this.contextLength = contextLength;
        this.logitCapacity = maxSequences + SCORE_ROWS_PER_STEP;
        this.logits = new float[logitCapacity * model.config().vocabSize()];
        cache.setSnapshotSizer(model::snapshotBytes);

    }

    public int contextLength() { return contextLength; }
    public KvBlockPool pool() { return pool; }
    public RadixPrefixCache cache() { return cache; }
    public long preemptions() { return preemptionCount; }

    /** Turns prefix sharing on or off (off also drops every cached block nobody uses). */
    public void setPrefixSharing(boolean on) {
        prefixSharing = on;
        if (!on) cache.clear();
    }

    public Sequence add(int[] prompt, SequenceSink sink) {
        return add(prompt, sink, prompt.length);
    }

    /**
     * Queues a prompt. The sink gets the logits of prompt positions from {@code logitsFrom} on
     * ({@link SequenceSink#onPromptLogits}), for scoring; pass the prompt length for none. Those
     * positions are always computed, never taken from the prefix cache.
     */
    public Sequence add(int[] prompt, SequenceSink sink, int logitsFrom) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (prompt.length > contextLength) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length " + contextLength);
        Sequence s = new Sequence(nextId++, prompt, new BlockTable(pool), sink, Math.max(0, logitsFrom));
        waiting.add(s);
        return s;
    }

    public boolean idle() { return waiting.isEmpty() && running.isEmpty(); }
    public int runningCount() { return running.size(); }
    public int waitingCount() { return waiting.size(); }

    /** Runs one forward step; returns the number of tokens processed (0 when there was nothing to run). */
    public int step() {
        admit();
        if (running.isEmpty()) return 0;
        List<Sequence> rowSeqs = new ArrayList<>();
        List<Integer> rowCounts = new ArrayList<>();
        int budget = maxBatchTokens;
        int logitRowsLeft = logitCapacity;
        // Decode tokens first (one row each, latency-critical), then prompt chunks in admission order.
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < running.size() && budget > 0; i++) {
                Sequence s = running.get(i);
                boolean decoding = s.pending() == 1 && !s.inPrefill();
                if (s.finished() || s.pending() == 0 || decoding != (pass == 0)) continue;
                int n = Math.min(budget, s.pending());
                int logitRows = 0;
                if (s.scoring()) {
                    // Bound the rows whose logits this step keeps: the logits buffer is sized for it.
                    int first = Math.max(s.computed(), s.logitsFrom());
                    int room = logitRowsLeft - 1; // keep one for a final-token row
                    if (first < s.computed() + n) n = Math.min(n, first - s.computed() + Math.max(0, room));
                    for (int p = s.computed(); p < s.computed() + n; p++) if (s.wantsPromptLogits(p)) logitRows++;
                }
                if (s.computed() + n == s.length()) logitRows++;
                if (n == 0 || logitRows > logitRowsLeft) continue;
                if (!reserve(s, s.computed() + n)) continue;
                rowSeqs.add(s);
                rowCounts.add(n);
                budget -= n;
                logitRowsLeft -= logitRows;
            }
        }
        // A preemption during reserve may have evicted a sequence that was already picked.
        for (int i = rowSeqs.size() - 1; i >= 0; i--) {
            if (!running.contains(rowSeqs.get(i)) || rowSeqs.get(i).finished()) {
                rowSeqs.remove(i);
                rowCounts.remove(i);
            }
        }
        retireFinished();
        if (rowSeqs.isEmpty()) return 0;
        int size = 0;
        for (int c : rowCounts) size += c;
        int[] tokens = new int[size];
        int[] positions = new int[size];
        BlockTable[] tables = new BlockTable[size];
        int[] logitRows = new int[logitCapacity];
        int[] logitPositions = new int[logitCapacity];
        Sequence[] logitSeqs = new Sequence[logitCapacity];
        int r = 0, nLogits = 0;
        for (int i = 0; i < rowSeqs.size(); i++) {
            Sequence s = rowSeqs.get(i);
            for (int j = 0; j < rowCounts.get(i); j++) {
                int pos = s.computed() + j;
                tokens[r] = s.token(pos);
                positions[r] = pos;
                tables[r] = s.table();
                // The last known token's logits give the next token; scoring wants every prompt position's.
                if (pos == s.length() - 1 || s.wantsPromptLogits(pos)) {
                    logitRows[nLogits] = r;
                    logitPositions[nLogits] = pos;
                    logitSeqs[nLogits++] = s;
                }
                r++;
            }
        }
        model.forward(new ForwardBatch(size, tokens, positions, tables, Arrays.copyOf(logitRows, nLogits)), logits);
        for (int i = 0; i < rowSeqs.size(); i++) {
            Sequence s = rowSeqs.get(i);
            s.setComputed(s.computed() + rowCounts.get(i));
            s.table().setLength(s.computed());
            if (prefixSharing) publishFullBlocks(s);
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
                s.markFinished(); // no position left for the sampled token: the context is full
                s.sink().onFailure(s, null);
            } else {
                s.append(next);
            }
        }
        retireFinished();
        return size;
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

    // ---- admission -------------------------------------------------------------------------

    private void admit() {
        int examined = 0;
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext() && running.size() < maxSequences; ) {
            Sequence s = it.next();
            // Deferred sequences are skipped over; bound the scan so a huge queue costs little per step.
            if (++examined > 2 * maxSequences) break;
            if (blocksFor(s.length()) > pool.numBlocks()) {
                it.remove();
                s.markFinished();
                s.sink().onFailure(s, "the sequence needs " + blocksFor(s.length()) + " KV blocks but the whole pool has "
                        + pool.numBlocks() + "; raise the KV cache budget");
                s.sink().onFinished(s);
                continue;
            }
            if (prefixSharing && waitsForInflightPrefix(s)) continue;
            if (!startFromCache(s)) {
                if (running.isEmpty()) continue; // cannot happen with an empty running set unless the pool is tiny; try others
                break; // keep admission order: wait for running sequences to free blocks
            }
            it.remove();
            running.add(s);
        }
    }

    private int blocksFor(int tokens) {
        return (tokens + pool.blockSize() - 1) / pool.blockSize();
    }

    /**
     * Attaches the longest cached prefix to a waiting sequence and checks there is room for the
     * rest of its first chunk. Always leaves at least the last token to compute (its logits are
     * needed). Returns false, with nothing held, when the pool cannot take the sequence now.
     */
    private boolean startFromCache(Sequence s) {
        int limit = Math.min(s.length() - 1, s.logitsFrom()); // the last token, and scored ones, are always computed
        RadixPrefixCache.Match m = prefixSharing ? cache.match(s.tokens(), limit) : new RadixPrefixCache.Match(new int[0], cache.root(), 0);
        int firstChunk = Math.min(s.length() - m.tokens(), maxBatchTokens);
        int need = blocksFor(m.tokens() + firstChunk) - m.blocks().length;
        if (need > pool.freeBlocks()) cache.evict(need - pool.freeBlocks());
        if (need > pool.freeBlocks()) {
            for (int b : m.blocks()) pool.release(b);
            return false;
        }
        s.table().adopt(m.blocks(), m.tokens());
        s.table().setSnapshotsWanted(prefixSharing && !model.stateInBlocks());
        if (!model.stateInBlocks() && m.tokens() > 0) model.restorePrefix(s.table(), m.snapshots());
        s.cacheNode = m.node();
        s.cachedBlocks = m.blocks().length;
        int cached = m.tokens();
        // Copy-on-write of a partially matching block: its first tokens' KV is valid for us too.
        if (prefixSharing && model.stateInBlocks() && cached < limit) {
            RadixPrefixCache.Partial p = cache.partialMatch(m.node(), s.tokens(), cached, limit);
            if (p != null && s.table().ensureCapacity(cached + p.tokens())) {
                pool.copySlots(p.block(), s.table().block(s.table().blockCount() - 1), p.tokens());
                cached += p.tokens();
                s.table().setLength(cached);
            }
        }
        s.setComputed(cached);
        s.recordCachedPrompt(Math.min(cached, s.promptLength()));
        return true;
    }

    /**
     * True when a running sequence is still prefilling the same next block as {@code s}: admitting
     * {@code s} now would compute that prefix twice, while waiting a step or two lets it share it.
     */
    private boolean waitsForInflightPrefix(Sequence s) {
        int bs = pool.blockSize();
        int end = Math.min(Math.min(s.length() - 1, s.logitsFrom()), bs * (1 + cachedPrefixBlocks(s)));
        if (end % bs != 0 || end == 0) return false;
        for (Sequence r : running) {
            if (r.finished() || r.computed() >= end || r.length() < end) continue;
            if (Arrays.equals(r.tokens(), 0, end, s.tokens(), 0, end)) return true;
        }
        return false;
    }

    /** Full blocks of {@code s}'s prompt already in the cache. */
    private int cachedPrefixBlocks(Sequence s) {
        return cache.cachedBlocks(s.tokens(), s.length() - 1);
    }

    /** Inserts the sequence's newly completed full blocks into the prefix cache. */
    private void publishFullBlocks(Sequence s) {
        int bs = pool.blockSize();
        int full = s.computed() / bs;
        while (s.cachedBlocks < full) {
            Object snapshot = model.stateInBlocks() ? null : model.takeBlockSnapshot(s.table(), s.cachedBlocks);
            s.cacheNode = cache.insert(s.cacheNode, s.tokens(), s.cachedBlocks * bs, s.table().block(s.cachedBlocks), snapshot);
            s.cachedBlocks++;
        }
        // Snapshots live beside the pool: keep them within their own budget, least recently used out first.
        while (cache.snapshotBytes() > SNAPSHOT_BUDGET && cache.evict(1) > 0) { }
    }

    /** Most bytes the prefix cache's block snapshots may hold (models with state beside the blocks). */
    static final long SNAPSHOT_BUDGET = 256L << 20;

    // ---- memory pressure -------------------------------------------------------------------

    /**
     * Makes room for {@code s} to hold {@code newLength} positions: free blocks, then evicted
     * cache blocks, then preempted younger sequences. Returns false if {@code s} itself had to be
     * preempted (it is back in the waiting queue) or failed.
     */
    private boolean reserve(Sequence s, int newLength) {
        while (true) {
            int missing = blocksFor(newLength) - s.table().blockCount();
            if (missing <= 0 || s.table().ensureCapacity(newLength)) return true;
            if (cache.evict(missing - pool.freeBlocks()) > 0) continue;
            Sequence victim = youngestRunning();
            preempt(victim);
            if (victim == s) return false;
        }
    }

    private Sequence youngestRunning() {
        for (int i = running.size() - 1; i >= 0; i--) {
            if (!running.get(i).finished()) return running.get(i);
        }
        throw new IllegalStateException("no running sequence to preempt");
    }

    /** Releases a sequence's blocks and queues it for recomputation; its tokens and sampler state are kept. */
    private void preempt(Sequence s) {
        running.remove(s);
        s.table().release();
        s.setComputed(0);
        s.cacheNode = null;
        s.cachedBlocks = 0;
        s.preemptions++;
        preemptionCount++;
        waiting.addFirst(s);
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
