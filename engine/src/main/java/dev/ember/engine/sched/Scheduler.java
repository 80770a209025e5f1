package dev.ember.engine.sched;

import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.sample.LogSoftmax;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Continuous batching over a paged KV cache with prefix sharing. Each {@link #step()} is
 * {@link #plan()} (admission, rows within the token budget, room in the cache, preemption),
 * {@link #execute} (one forward pass over the ragged batch) and {@link #commit} (positions
 * advance, full blocks are published to the prefix cache, sinks get logits, finished sequences
 * leave). A step has one decode token for every running sequence that has one, plus prompt
 * chunks. Sequences are admitted while blocks and the sequence limit allow, starting from the
 * longest cached prefix of their prompt. When the pool runs dry, cached blocks nobody uses are
 * reused (least recently released first) and, if that is not enough, the most recently admitted
 * sequence is preempted: its blocks are released and it is recomputed later (its cached full
 * blocks usually survive, so recomputation is cheap). Batch-invariant kernels make all of this
 * invisible in the output. Memory questions go to the {@link CacheManager}. Not thread-safe: one
 * engine thread drives it.
 */
public final class Scheduler {
    /**
     * For a model that cannot score in its head ({@link Model#fusesScoring()} false): the fewest
     * prompt rows per step whose logits scoring sequences may ask for; with a small vocabulary
     * more fit the logits budget below, up to the step's token budget. A model that scores in its
     * head needs no logits rows for them, and its scoring steps take the whole token budget.
     */
    static final int SCORE_ROWS_PER_STEP = 32;
    /**
     * Bytes the scheduler's logits buffer may take for scoring rows (256 MiB: 441 rows of a
     * 151,936-token vocabulary). It bounds a scoring step's rows, so a larger one runs prompts in
     * bigger, faster matmuls: qwen3-0.6b Q8_0 with the 151k Qwen3 vocabulary scored 136-139
     * tokens/s at 64 MiB and 157-165 at 320 MiB (alternating runs). The buffer grows to the rows a
     * step asks for, so an engine that only generates never holds it.
     */
    static final long SCORE_LOGITS_BYTES = 256L << 20;

    private final Model model;
    private final CacheManager cache;
    private final int maxBatchTokens;
    private final int maxSequences;
    private final int contextLength;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private float[] logits;
    /** The last step's {@code log p} per score row ({@link ForwardBatch#scoreRows()}). */
    private double[] scoreLogProbs = new double[0];
    /** True when the model scores in its head ({@link Model#fusesScoring()}): score rows need no logits rows. */
    private final boolean fusedScoring;
    /** Hidden states of the step's embedding rows: at most one per running sequence. */
    private final float[] hidden;
    private final String modelName;
    private final int logitCapacity;
    private long nextId;
    private long preemptionCount;
    private long cancelledCount;

    public Scheduler(Model model, CacheManager cache, int maxBatchTokens, int maxSequences, int contextLength) {
        this(model, cache, maxBatchTokens, maxSequences, contextLength, "the model");
    }

    /** {@code modelName} names the model in errors (its path). */
    public Scheduler(Model model, CacheManager cache, int maxBatchTokens, int maxSequences, int contextLength, String modelName) {
        this.modelName = modelName;
        this.model = model;
        this.cache = cache;
        this.maxBatchTokens = maxBatchTokens;
        this.maxSequences = maxSequences;
        this.contextLength = contextLength;
        this.fusedScoring = model.fusesScoring();
        long byBudget = SCORE_LOGITS_BYTES / (4L * model.config().vocabSize());
        int scoreRows = (int) Math.max(SCORE_ROWS_PER_STEP, Math.min(maxBatchTokens, byBudget));
        this.logitCapacity = maxSequences + scoreRows;
        this.logits = new float[maxSequences * model.config().vocabSize()]; // grown by execute for scoring steps
        this.hidden = model.embeddingSpec() != null ? new float[maxSequences * model.config().dim()] : new float[0];
    }

    public int contextLength() { return contextLength; }
    public CacheManager cache() { return cache; }
    public long preemptions() { return preemptionCount; }
    public long cancellations() { return cancelledCount; }

    /** Turns prefix sharing on or off (off also drops every cached block nobody uses). */
    public void setPrefixSharing(boolean on) {
        cache.setPrefixSharing(on);
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
        Sequence s = new Sequence(nextId++, prompt, cache.newTable(), sink, Math.max(0, logitsFrom));
        waiting.add(s);
        return s;
    }

    public boolean idle() { return waiting.isEmpty() && running.isEmpty(); }
    public int runningCount() { return running.size(); }
    public int waitingCount() { return waiting.size(); }

    /** Runs one step; returns the number of tokens processed (0 when there was nothing to run). */
    public int step() {
        StepPlan plan = plan();
        if (plan == null) return 0;
        execute(plan);
        commit(plan);
        return plan.tokens();
    }

    /**
     * Decides the next step: admits waiting sequences, picks decode rows first (one each,
     * latency-critical), then prompt chunks in admission order within the token budget, and
     * reserves their cache room (evicting, then preempting). Null when there is nothing to run.
     */
    public StepPlan plan() {
        admit();
        if (running.isEmpty()) return null;
        List<Sequence> rowSeqs = new ArrayList<>();
        List<Integer> rowCounts = new ArrayList<>();
        int budget = maxBatchTokens;
        int logitRowsLeft = logitCapacity;
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < running.size() && budget > 0; i++) {
                Sequence s = running.get(i);
                boolean decoding = s.pending() == 1 && !s.inPrefill();
                if (s.finished() || s.pending() == 0 || decoding != (pass == 0)) continue;
                int n = Math.min(budget, s.pending());
                if (s.forkPoint > s.computed()) n = Math.min(n, s.forkPoint - s.computed()); // sequences wait to fork there
                int logitRows = 0;
                if (s.scoring() && !fusedScoring) { // fused score rows need no logits row: the token budget bounds them
                    // Bound the rows whose logits this step keeps: the logits buffer is sized for it.
                    int first = Math.max(s.computed(), s.logitsFrom());
                    int room = logitRowsLeft - 1; // keep one for a final-token row
                    if (first < s.computed() + n) n = Math.min(n, first - s.computed() + Math.max(0, room));
                    for (int p = s.computed(); p < s.computed() + n; p++) if (s.wantsPromptLogits(p)) logitRows++;
                }
                if (s.computed() + n == s.length() && !s.embedding()) logitRows++;
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
        if (rowSeqs.isEmpty()) return null;
        int size = 0;
        for (int c : rowCounts) size += c;
        int[] tokens = new int[size];
        int[] positions = new int[size];
        BlockTable[] tables = new BlockTable[size];
        int[] logitRows = new int[logitCapacity];
        int[] logitPositions = new int[logitCapacity];
        Sequence[] logitSeqs = new Sequence[logitCapacity];
        int[] hiddenRows = new int[rowSeqs.size()];
        Sequence[] hiddenSeqs = new Sequence[rowSeqs.size()];
        int[] scoreRows = new int[size];
        int[] scoreTargets = new int[size];
        int[] scorePositions = new int[size];
        Sequence[] scoreSeqs = new Sequence[size];
        int r = 0, nLogits = 0, nHidden = 0, nScores = 0;
        for (int i = 0; i < rowSeqs.size(); i++) {
            Sequence s = rowSeqs.get(i);
            for (int j = 0; j < rowCounts.get(i); j++) {
                int pos = s.computed() + j;
                tokens[r] = s.token(pos);
                positions[r] = pos;
                tables[r] = s.table();
                // The last known token's logits give the next token; scoring wants every prompt position's;
                // an embedding wants the last position's hidden state instead.
                if (pos == s.length() - 1 && s.embedding()) {
                    hiddenRows[nHidden] = r;
                    hiddenSeqs[nHidden++] = s;
                } else if (fusedScoring && s.wantsPromptLogits(pos)) {
                    scoreRows[nScores] = r;
                    scoreTargets[nScores] = s.token(pos + 1);
                    scorePositions[nScores] = pos;
                    scoreSeqs[nScores++] = s;
                } else if (pos == s.length() - 1 || s.wantsPromptLogits(pos)) {
                    logitRows[nLogits] = r;
                    logitPositions[nLogits] = pos;
                    logitSeqs[nLogits++] = s;
                }
                r++;
            }
        }
        return new StepPlan(List.copyOf(rowSeqs), rowCounts.stream().mapToInt(Integer::intValue).toArray(),
                new ForwardBatch(size, tokens, positions, tables, Arrays.copyOf(logitRows, nLogits), Arrays.copyOf(hiddenRows, nHidden),
                        Arrays.copyOf(scoreRows, nScores), Arrays.copyOf(scoreTargets, nScores)),
                Arrays.copyOf(logitSeqs, nLogits), Arrays.copyOf(logitPositions, nLogits), Arrays.copyOf(hiddenSeqs, nHidden),
                Arrays.copyOf(scoreSeqs, nScores), Arrays.copyOf(scorePositions, nScores));
    }

    /** Runs the plan's forward pass; the logits stay in the scheduler's buffer for {@link #commit}. */
    public void execute(StepPlan plan) {
        long need = (long) plan.batch().logitRows().length * model.config().vocabSize();
        if (logits.length < need) logits = new float[Math.toIntExact(need)];
        scoreLogProbs = new double[plan.batch().scoreRows().length];
        model.forward(plan.batch(), logits, hidden, scoreLogProbs);
    }

    /**
     * Applies a computed step: positions advance, newly full blocks go to the prefix cache, sinks
     * get their logits and choose next tokens, finished sequences leave and free their blocks.
     */
    public void commit(StepPlan plan) {
        for (int i = 0; i < plan.sequences().size(); i++) {
            Sequence s = plan.sequences().get(i);
            if (s.finished()) continue; // cancelled while the step ran
            s.setComputed(s.computed() + plan.counts()[i]);
            s.table().setLength(s.computed());
            cache.publish(s.table(), s.tokens(), s.computed());
        }
        int dim = model.config().dim();
        for (int i = 0; i < plan.hiddenSequences().length; i++) {
            Sequence s = plan.hiddenSequences()[i];
            if (s.finished()) continue;
            s.markFinished(); // an embedding is one pass: the sequence leaves and frees its blocks
            int bad = firstNonFinite(hidden, i * dim, dim);
            if (bad >= 0) {
                s.sink().onFailure(s, modelName + " produced a non-finite hidden state (" + hidden[i * dim + bad] + ") for an embedding"
                        + ": its weights are likely corrupt or badly converted; check them with `ember info --model M --check-weights`");
            } else {
                s.sink().onHiddenState(s, hidden, i * dim);
            }
        }
        for (int i = 0; i < plan.scoreSequences().length; i++) {
            Sequence s = plan.scoreSequences()[i];
            if (s.finished()) continue;
            int pos = plan.scorePositions()[i];
            double lp = scoreLogProbs[i];
            if (Double.isNaN(lp)) {
                s.markFinished();
                s.sink().onFailure(s, modelName + " produced a non-finite logit at position " + pos
                        + ": its weights are likely corrupt or badly converted; check them with `ember info --model M --check-weights`");
                continue;
            }
            s.sink().onPromptLogProb(s, pos, lp);
        }
        int vocab = model.config().vocabSize();
        for (int i = 0; i < plan.logitSequences().length; i++) {
            Sequence s = plan.logitSequences()[i];
            if (s.finished()) continue;
            int pos = plan.logitPositions()[i];
            int bad = firstNonFinite(logits, i * vocab, vocab);
            if (bad >= 0) {
                // Silent garbage is the worst outcome: a NaN row samples token 0 or nothing at all.
                s.markFinished();
                s.sink().onFailure(s, modelName + " produced a non-finite logit (" + logits[i * vocab + bad] + " for token " + bad
                        + ") at position " + pos + ": its weights are likely corrupt or badly converted; check them with"
                        + " `ember info --model M --check-weights`");
                continue;
            }
            if (pos < s.length() - 1) {
                s.sink().onPromptLogProb(s, pos, LogSoftmax.logProb(logits, i * vocab, vocab, s.token(pos + 1)));
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
    }

    /** The index of the first NaN or infinite value of {@code a[off .. off + n)} relative to off, or -1. */
    static int firstNonFinite(float[] a, int off, int n) {
        float sum = 0f;
        for (int i = off, end = off + n; i < end; i++) sum += a[i] * 0f; // 0 * x is NaN exactly when x is NaN or infinite
        if (sum == 0f) return -1;
        for (int i = 0; i < n; i++) if (!Float.isFinite(a[off + i])) return i;
        return -1;
    }

    /**
     * Ends a sequence now, running or waiting: its sink gets {@code error} and {@code onFinished},
     * and its blocks go back to the pool at once. False when it already finished.
     */
    public boolean cancel(Sequence s, String error) {
        if (s.finished()) return false;
        s.markFinished();
        cancelledCount++;
        s.sink().onFailure(s, error);
        if (waiting.remove(s)) {
            s.table().release();
            s.sink().onFinished(s);
        } else {
            retireFinished();
        }
        return true;
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
            if (cache.blocksFor(s.length()) > cache.numBlocks()) {
                it.remove();
                s.markFinished();
                s.sink().onFailure(s, "the sequence needs " + cache.blocksFor(s.length()) + " KV blocks but the whole pool has "
                        + cache.numBlocks() + "; raise the KV cache budget");
                s.sink().onFinished(s);
                continue;
            }
            Fork fork = cache.prefixSharing() ? forkSource(s) : null;
            if (fork != null && fork.source().computed() < fork.length()) {
                // The source stops its prefill at the shared length; this one forks from it then.
                Sequence src = fork.source();
                if (src.forkPoint <= src.computed() || fork.length() < src.forkPoint) src.forkPoint = fork.length();
                continue;
            }
            if (fork == null && cache.prefixSharing() && waitsForInflightPrefix(s)) continue;
            if (!(fork != null ? startFromFork(s, fork) : startFromCache(s))) {
                if (running.isEmpty()) continue; // cannot happen with an empty running set unless the pool is tiny; try others
                break; // keep admission order: wait for running sequences to free blocks
            }
            it.remove();
            running.add(s);
        }
    }

    /**
     * Attaches the longest cached prefix to a waiting sequence and checks there is room for the
     * rest of its first chunk. Always leaves at least the last token to compute (its logits are
     * needed). Returns false, with nothing held, when the pool cannot take the sequence now.
     */
    private boolean startFromCache(Sequence s) {
        int limit = Math.min(s.length() - 1, s.logitsFrom()); // the last token, and scored ones, are always computed
        return start(s, cache.admit(s.table(), s.tokens(), s.length(), limit, maxBatchTokens));
    }

    /** Applies an admission (null: the pool could not take the sequence now, and nothing is held). */
    private static boolean start(Sequence s, CacheManager.Admission a) {
        if (a == null) return false;
        s.setComputed(a.startTokens());
        int cached = Math.min(a.cachedTokens(), s.promptLength());
        s.recordStart(cached, Math.min(a.forkedTokens(), s.promptLength() - cached));
        return true;
    }

    /** A running sequence whose first {@code length} tokens a waiting one shares, beyond what the prefix cache holds. */
    private record Fork(Sequence source, int length) {}

    /**
     * The running sequence sharing the longest prompt prefix with {@code s} (up to the positions
     * {@code s} must compute itself), when that is longer than the prefix cache's whole blocks
     * give and the source can still be forked there: it has computed exactly that much, or less
     * and will stop there (or more, when every layer is paged). Null when none helps.
     */
    private Fork forkSource(Sequence s) {
        int limit = Math.min(s.length() - 1, s.logitsFrom());
        int fromCache = cache.blockSize() * cache.cache().cachedBlocks(s.tokens(), limit);
        Sequence best = null;
        int bestLength = fromCache;
        for (Sequence r : running) {
            if (r.finished()) continue;
            int n = Math.min(limit, r.length());
            int shared = Math.min(n, prefixLength(r.tokens(), s.tokens(), n));
            if (shared <= bestLength) continue;
            if (r.computed() > shared && !cache.canFork(r.computed(), shared)) continue;
            best = r;
            bestLength = shared;
        }
        return best == null ? null : new Fork(best, bestLength);
    }

    private static int prefixLength(int[] a, int[] b, int n) {
        int m = Arrays.mismatch(a, 0, n, b, 0, n);
        return m < 0 ? n : m;
    }

    /** Starts a waiting sequence as a fork of {@code fork.source()}; false, holding nothing, when the pool cannot take it now. */
    private boolean startFromFork(Sequence s, Fork fork) {
        return start(s, cache.fork(fork.source().table(), fork.length(), s.table(), s.length(), maxBatchTokens));
    }

    /**
     * True when a running sequence is still prefilling the same next block as {@code s}: admitting
     * {@code s} now would compute that prefix twice, while waiting a step or two lets it share it.
     */
    private boolean waitsForInflightPrefix(Sequence s) {
        int bs = cache.blockSize();
        int end = Math.min(Math.min(s.length() - 1, s.logitsFrom()), bs * (1 + cache.cache().cachedBlocks(s.tokens(), s.length() - 1)));
        if (end % bs != 0 || end == 0) return false;
        for (Sequence r : running) {
            if (r.finished() || r.computed() >= end || r.length() < end) continue;
            if (Arrays.equals(r.tokens(), 0, end, s.tokens(), 0, end)) return true;
        }
        return false;
    }

    // ---- memory pressure -------------------------------------------------------------------

    /**
     * Makes room for {@code s} to hold {@code newLength} positions: free blocks (reusing cached
     * ones nobody uses), then preempted younger sequences. Returns false if {@code s} itself had to
     * be preempted (it is back in the waiting queue).
     */
    private boolean reserve(Sequence s, int newLength) {
        while (!cache.reserve(s.table(), newLength)) {
            Sequence victim = youngestRunning();
            preempt(victim);
            if (victim == s) return false;
        }
        return true;
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
        cache.free(s.table());
        s.setComputed(0);
        s.preemptions++;
        preemptionCount++;
        waiting.addFirst(s);
    }

    private void retireFinished() {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.finished()) {
                it.remove();
                cache.free(s.table());
                s.sink().onFinished(s);
            }
        }
    }
}
