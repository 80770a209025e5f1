package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.constrain.ConstraintCache;
import dev.ember.engine.constrain.ConstraintCursor;
import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.model.EmbeddingModel;
import dev.ember.engine.model.EmbeddingSpec;
import dev.ember.engine.model.Model;
import dev.ember.engine.sched.Scheduler;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;
import dev.ember.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The in-process engine: one model, one KV cache ({@link CacheManager}), and one engine thread
 * that runs the continuous-batching {@link Scheduler}. Any thread may submit; tokenization
 * happens on the submitting thread, so many submitters tokenize in parallel while the engine
 * thread computes. Submission and {@link #close()} exclude each other (a read-write lock), so a
 * request either reaches the engine thread or fails with "engine is closed"; none is lost.
 */
public final class LocalEngine implements Engine {
    /** The KV block size of models that keep all their state in blocks. */
    static final int BLOCK_SIZE = 16;

    private final Path modelPath;
    private final LoadedModel loaded;
    private final Model model;
    private final CacheManager cache;
    private final Scheduler scheduler;
    private final KvCacheType cacheType;
    private final EngineCounters counters = new EngineCounters();
    /** Compiled output constraints and their token masks, shared by all requests (null without a tokenizer). */
    private final ConstraintCache constraints;
    private final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> control = new ConcurrentLinkedQueue<>();
    /** How the model embeds; null when it does not. */
    private final EmbeddingSpec embedding;
    /**
     * An encoder's embed requests, run by the engine thread in batches of up to maxBatchTokens
     * tokens (see {@link EmbedBatches}); null for other models. A decoder's go to the scheduler as
     * {@link EmbedRun}s, batched with everything else.
     */
    private final EmbedBatches embeds;
    /** Generate requests in flight by id, for {@link #cancel(String)}. */
    private final Map<String, Set<CompletableFuture<Result>>> inFlight = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Thread loop;
    private volatile boolean closed;
    /** Why the engine thread stopped, or null while it runs; set once, under the lifecycle write lock. */
    private volatile String failure;

    /**
     * A request on its way to the scheduler. The engine thread sets the sequence when it adds it;
     * a cancel that arrives first marks it, and it is then never added.
     */
    private static final class Pending {
        final SequenceSink sink;
        final int[] prompt;
        final int logitsFrom;
        Sequence sequence;
        boolean cancelled;

        Pending(SequenceSink sink, int[] prompt, int logitsFrom) {
            this.sink = sink;
            this.prompt = prompt;
            this.logitsFrom = logitsFrom;
        }
    }

    private LocalEngine(Path modelPath, LoadedModel loaded, EngineOptions options) {
        this.modelPath = modelPath;
        this.loaded = loaded;
        this.constraints = loaded.hasTokenizer()
                ? new ConstraintCache(loaded.tokenizer(), loaded.model().config().vocabSize(), 64) : null;
        this.model = loaded.model();
        DecodeWarmUp.run(model);
        this.cacheType = options.kvCacheType();
        int context = options.contextLength() > 0 ? options.contextLength() : model.config().contextLength();
        long bytesPerToken = CacheManager.bytesPerToken(model.cacheSpecs(), cacheType);
        long budget = options.kvCacheBytes() > 0 ? options.kvCacheBytes() : defaultKvBudget(bytesPerToken, context, options.maxSequences());
        this.cache = CacheManager.create(model.cacheSpecs(), cacheType, model.cacheBlockSize(), budget, options.effectiveSnapshotBytes());
        int batchTokens = options.effectiveBatchTokens(model.config().dim());
        this.scheduler = new Scheduler(model, cache, batchTokens, options.maxSequences(), context, modelPath.toString());
        this.embedding = model.embeddingSpec();
        this.embeds = model instanceof EmbeddingModel em ? new EmbedBatches(em, batchTokens, options.maxSequences()) : null;
        this.loop = new Thread(this::run, "ember-engine");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * The KV budget when none is given: enough for every sequence to use the full context, but at
     * most a quarter of the heap that is free now (the cache is off the heap, but the JVM's
     * direct-memory and the machine's memory scale with the heap setting a user chose).
     */
    static long defaultKvBudget(long bytesPerToken, int context, int maxSequences) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long want = bytesPerToken * (long) context * maxSequences;
        return Math.max(bytesPerToken * BLOCK_SIZE * 4, Math.min(want, free / 4));
    }

    public static Engine open(Path model, EngineOptions options) {
        LoadedModel loaded = LoadedModel.open(model, options.threads(), options.contextLength());
        try {
            return new LocalEngine(model, loaded, options);
        } catch (RuntimeException | OutOfMemoryError e) {
            loaded.close();
            throw e;
        }
    }

    @Override
    public CompletableFuture<Result> submit(Request request) {
        CompletableFuture<Result> future = new CompletableFuture<>();
        long start = System.nanoTime();
        if (closed || failure != null) {
            future.complete(Result.failed(request.id(), refusal(), 0));
            return future;
        }
        int[] prompt;
        ConstraintCursor constraint;
        try {
            prompt = request.promptTokens() != null ? request.promptTokens() : tokenize(request.prompt(), request.parseSpecial());
            validatePrompt(prompt);
            constraint = startConstraint(request.sampling());
        } catch (RuntimeException e) {
            future.complete(Result.failed(request.id(), e.getMessage(), System.nanoTime() - start));
            return future;
        }
        boolean text = loaded.hasTokenizer();
        Tokenizer tok = text ? loaded.tokenizer() : null;
        RequestRun run = new RequestRun(request, prompt, model.config().vocabSize(),
                text ? tok::isEndOfGeneration : t -> false,
                text ? tok::tokenBytes : t -> new byte[0],
                text ? tok::tokenText : String::valueOf,
                future, start, counters, constraint);
        counters.promptTokens.add(prompt.length);
        if (run.finishedBeforeStart()) {
            run.complete();
            return future;
        }
        Pending pending = new Pending(run, prompt, prompt.length);
        // Registered and removed atomically per id, so a request is never added to a set that just left the map.
        inFlight.compute(request.id(), (id, set) -> {
            Set<CompletableFuture<Result>> s = set != null ? set : ConcurrentHashMap.newKeySet();
            s.add(future);
            return s;
        });
        future.whenComplete((r, e) -> inFlight.computeIfPresent(request.id(), (id, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        }));
        if (!enqueue(pending, future)) future.complete(Result.failed(request.id(), refusal(), System.nanoTime() - start));
        return future;
    }

    /** Why a request is refused: the engine thread's failure, or a closed engine. */
    private String refusal() {
        String f = failure;
        return f != null ? f : "engine is closed";
    }

    @Override
    public String failure() {
        return failure;
    }

    /**
     * Hands a request to the engine thread unless the engine is closed or failed; cancelling
     * {@code future} afterwards cancels the request.
     */
    private boolean enqueue(Pending pending, CompletableFuture<?> future) {
        return enqueue(List.of(pending), List.of(future));
    }

    /**
     * Queues requests so that the engine thread takes them in one go (the drain holds the queue's
     * lock): a classify row's choices then reach the scheduler together, and all but the first fork
     * from it at the end of their shared prompt instead of computing it again.
     */
    private boolean enqueue(List<Pending> group, List<? extends CompletableFuture<?>> futures) {
        lifecycle.readLock().lock();
        try {
            if (closed || failure != null) return false;
            synchronized (incoming) {
                incoming.addAll(group);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        for (int i = 0; i < group.size(); i++) {
            Pending pending = group.get(i);
            CompletableFuture<?> future = futures.get(i);
            future.whenComplete((r, e) -> {
                if (future.isCancelled()) cancelPending(pending);
            });
        }
        LockSupport.unpark(loop);
        return true;
    }

    /** Ends a request on the engine thread: before it reaches the scheduler, or out of the running batch, freeing its blocks. */
    private void cancelPending(Pending p) {
        onEngineThread(() -> {
            if (p.sequence != null) {
                if (scheduler.cancel(p.sequence, "cancelled")) counters.cancelled.increment();
            } else if (!p.cancelled) {
                p.cancelled = true;
                counters.cancelled.increment();
            }
        });
    }

    @Override
    public int cancel(String requestId) {
        Set<CompletableFuture<Result>> futures = inFlight.get(requestId);
        if (futures == null) return 0;
        int n = 0;
        for (CompletableFuture<Result> f : List.copyOf(futures)) if (f.cancel(true)) n++;
        return n;
    }

    /** The request's constraint, compiled (or found compiled) for this model; null for free text. */
    private ConstraintCursor startConstraint(SamplingParams sampling) {
        if (sampling.constraint() == null) return null;
        if (!loaded.hasTokenizer()) throw new IllegalArgumentException("output constraints need the model's tokenizer; this model has none");
        return constraints.start(sampling.constraint(), !sampling.ignoreEos());
    }

    private void validatePrompt(int[] prompt) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        int vocab = model.config().vocabSize();
        for (int t : prompt) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("prompt token " + t + " outside the vocabulary [0, " + vocab + ")");
        }
        if (prompt.length > scheduler.contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length " + scheduler.contextLength());
        }
    }

    /**
     * The engine thread. A step that throws a RuntimeException or runs out of memory fails the
     * requests it held and the engine goes on; any other Throwable (an InternalError from a fault
     * in a mapped model file that shrank, a StackOverflowError, a bug) leaves the model or the
     * cache in an unknown state, so the engine fails every request it holds or will be given, with
     * one message that names the cause, and stops: {@link #failure()} tells its owner to reopen it.
     */
    private void run() {
        try {
            loop();
        } catch (Throwable t) {
            String why = "engine failed: " + t + " (model " + modelPath + "); reopen the engine";
            lifecycle.writeLock().lock();
            try {
                failure = why; // from here on enqueue refuses, so the drain below sees every accepted request
            } finally {
                lifecycle.writeLock().unlock();
            }
            try {
                scheduler.failAll(why);
            } catch (Throwable again) {
                // the scheduler is part of what failed; the drain below still answers new requests
            }
            Pending p;
            while ((p = incoming.poll()) != null) {
                p.sink.onFailure(null, why);
                p.sink.onFinished(null);
            }
            Runnable c;
            while ((c = control.poll()) != null) {
                try {
                    c.run();
                } catch (Throwable ignored) {
                    // a control action needs the state that failed; its caller's future is failed below
                }
            }
        }
    }

    private void loop() {
        List<Pending> batch = new ArrayList<>();
        while (!closed) {
            Runnable c;
            while ((c = control.poll()) != null) c.run();
            Pending p;
            synchronized (incoming) {
                while ((p = incoming.poll()) != null) batch.add(p);
            }
            for (Pending q : batch) {
                if (q.cancelled) {
                    q.sink.onFailure(null, "cancelled");
                    q.sink.onFinished(null);
                } else {
                    q.sequence = scheduler.add(q.prompt, q.sink, q.logitsFrom);
                }
            }
            batch.clear();
            if (embeds != null && embeds.runOne()) continue;
            if (scheduler.idle() && control.isEmpty()) {
                counters.observe(scheduler.runningCount(), scheduler.preemptions(), cache.freeBlocks());
                LockSupport.parkNanos(this, 50_000_000L);
                continue;
            }
            try {
                scheduler.step();
            } catch (RuntimeException | OutOfMemoryError e) {
                scheduler.failAll("engine step failed: " + e);
            }
            counters.observe(scheduler.runningCount(), scheduler.preemptions(), cache.freeBlocks());
        }
        scheduler.failAll("engine closed");
    }

    @Override
    public CompletableFuture<EmbedResult> embedAsync(String text) {
        if (embedding == null) return CompletableFuture.completedFuture(EmbedResult.failed(notEmbedding()));
        int[] tokens;
        try {
            tokens = tokenize(text);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(EmbedResult.failed(e.getMessage()));
        }
        EmbeddingSpec spec = embedding;
        if (tokens.length > spec.maxTokens() && spec.truncate()) {
            // As sentence-transformers: the text is cut, then the tokens the tokenizer appends (BERT's
            // SEP, an EOS) close it. How many it appends is what it adds around an empty text, less the BOS.
            Tokenizer tok = loaded.tokenizer();
            int closing = Math.max(0, tok.encode("", true, false).length - (tok.addsBos() ? 1 : 0));
            int[] cut = java.util.Arrays.copyOf(tokens, spec.maxTokens());
            System.arraycopy(tokens, tokens.length - closing, cut, cut.length - closing, closing);
            return submitEmbed(cut, true);
        }
        return submitEmbed(tokens, false);
    }

    @Override
    public CompletableFuture<EmbedResult> embedTokens(int[] tokens) {
        if (embedding == null) return CompletableFuture.completedFuture(EmbedResult.failed(notEmbedding()));
        if (tokens != null && tokens.length > embedding.maxTokens() && embedding.truncate()) {
            return submitEmbed(java.util.Arrays.copyOf(tokens, embedding.maxTokens()), true);
        }
        return submitEmbed(tokens, false);
    }

    private CompletableFuture<EmbedResult> submitEmbed(int[] tokens, boolean truncated) {
        CompletableFuture<EmbedResult> future = new CompletableFuture<>();
        try {
            if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("empty input: nothing to embed");
            int vocab = model.config().vocabSize();
            for (int t : tokens) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " outside the vocabulary [0, " + vocab + ")");
            if (tokens.length > embedding.maxTokens()) {
                throw new IllegalArgumentException("input of " + tokens.length + " tokens exceeds the model's limit of " + embedding.maxTokens()
                        + " (the model sets no max_seq_length to truncate to); shorten the text");
            }
            if (embeds == null && tokens.length > scheduler.contextLength()) {
                throw new IllegalArgumentException("input of " + tokens.length + " tokens exceeds the context length " + scheduler.contextLength()
                        + "; shorten the text or raise the context length");
            }
        } catch (RuntimeException e) {
            future.complete(EmbedResult.failed(e.getMessage()));
            return future;
        }
        if (embeds == null) {
            // A decoder: a one-pass sequence in the scheduler's batches whose last row yields the hidden state.
            counters.promptTokens.add(tokens.length);
            Pending pending = new Pending(new EmbedRun(embedding, tokens.length, truncated, future), tokens, tokens.length);
            if (!enqueue(pending, future)) future.complete(EmbedResult.failed(refusal()));
            return future;
        }
        lifecycle.readLock().lock();
        try {
            if (closed) {
                future.complete(EmbedResult.failed("engine is closed"));
                return future;
            }
            counters.promptTokens.add(tokens.length);
            embeds.add(tokens, truncated, future);
        } finally {
            lifecycle.readLock().unlock();
        }
        LockSupport.unpark(loop);
        return future;
    }

    private String notEmbedding() {
        return model.config().architecture() + " model is not an embedding model: it has no pooling type (an encoder such as bert,"
                + " or a decoder whose sentence-transformers folder or GGUF gives one, such as Qwen3-Embedding)";
    }

    @Override
    public int embeddingDimension() { return embedding == null ? 0 : embedding.dimension(); }

    @Override
    public CompletableFuture<ScoreResult> scoreAsync(String text) {
        try {
            return scoreTokens(tokenize(text, false)); // text to score comes from data: no control tokens
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage()));
        }
    }

    /**
     * Scores token ids; runs batched with everything else the engine is doing. A text longer than
     * the context is scored with a sliding window: windows of the context length start every
     * {@code stride = context / 2} tokens, and each scores only the tokens the previous windows did
     * not, so every token after the first is scored exactly once, with at least {@code context -
     * stride} tokens of left context (except in the first window).
     */
    @Override
    public CompletableFuture<ScoreResult> scoreTokens(int[] tokens) {
        try {
            if (tokens.length < 2) throw new IllegalArgumentException("a text needs at least 2 tokens to score");
            int vocab = model.config().vocabSize();
            for (int t : tokens) {
                if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage()));
        }
        int context = scheduler.contextLength();
        if (tokens.length <= context) return scoreRange(tokens, 0);
        int stride = Math.max(1, context / 2);
        List<CompletableFuture<ScoreResult>> parts = new ArrayList<>();
        int scoredUpTo = 0; // targets below this index are already scored
        for (int start = 0; scoredUpTo < tokens.length - 1; start += stride) {
            int end = Math.min(tokens.length, start + context);
            int[] window = java.util.Arrays.copyOfRange(tokens, start, end);
            // Target i (predicted at position i-1) is scored here when i > scoredUpTo.
            parts.add(scoreRange(window, Math.max(0, scoredUpTo - start)));
            scoredUpTo = end - 1;
            if (end == tokens.length) break;
        }
        CompletableFuture<ScoreResult> whole = CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            double sum = 0;
            int n = 0;
            for (CompletableFuture<ScoreResult> f : parts) {
                ScoreResult r = f.join();
                if (r.error() != null) return r;
                sum += r.logprob();
                n += r.tokens();
            }
            return ScoreResult.of(sum, n);
        });
        whole.whenComplete((r, e) -> {
            if (whole.isCancelled()) parts.forEach(f -> f.cancel(true));
        });
        return whole;
    }

    /** Scores targets {@code tokens[from+1 ..]} of a sequence that fits the context. */
    private CompletableFuture<ScoreResult> scoreRange(int[] tokens, int from) {
        CompletableFuture<ScoreResult> future = new CompletableFuture<>();
        if (!enqueue(new Pending(new ScoreRun(future, counters), tokens, from), future)) {
            future.complete(new ScoreResult(Double.NaN, 0, Double.NaN, refusal()));
        }
        return future;
    }

    @Override
    public CompletableFuture<List<ScoreResult>> scoreChoicesAsync(String prompt, List<String> choices) {
        int[] context;
        try {
            context = tokenize(prompt, false);
            if (context.length == 0) throw new IllegalArgumentException("empty prompt");
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(choices.stream().map(c -> new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage())).toList());
        }
        List<CompletableFuture<ScoreResult>> futures = new ArrayList<>();
        List<Pending> group = new ArrayList<>();
        List<CompletableFuture<ScoreResult>> queued = new ArrayList<>();
        for (String choice : choices) {
            try {
                if (choice == null || choice.isEmpty()) throw new IllegalArgumentException("empty choice");
                int[] whole = joinTokens(context, prompt, choice);
                if (whole.length > scheduler.contextLength()) {
                    throw new IllegalArgumentException("prompt and choice of " + whole.length + " tokens exceed the context length " + scheduler.contextLength());
                }
                // Only the choice's tokens are scored. Queued together, the choices compute the prompt
                // once: the first computes it, the others fork from it (or take it from the prefix cache).
                CompletableFuture<ScoreResult> f = new CompletableFuture<>();
                group.add(new Pending(new ScoreRun(f, counters), whole, context.length - 1));
                queued.add(f);
                futures.add(f);
            } catch (RuntimeException e) {
                futures.add(CompletableFuture.completedFuture(new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage())));
            }
        }
        if (!group.isEmpty() && !enqueue(group, queued)) {
            for (CompletableFuture<ScoreResult> f : queued) f.complete(new ScoreResult(Double.NaN, 0, Double.NaN, refusal()));
        }
        CompletableFuture<List<ScoreResult>> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
        all.whenComplete((r, e) -> {
            if (all.isCancelled()) futures.forEach(f -> f.cancel(true));
        });
        return all;
    }

    /**
     * Prompt tokens followed by the choice's tokens. The pair is tokenized as one text when that
     * keeps the prompt's tokens intact (so the choice's leading space merges as it would in real
     * text); otherwise the choice is tokenized alone and appended.
     */
    private int[] joinTokens(int[] context, String prompt, String choice) {
        Tokenizer tok = loaded.tokenizer();
        int[] joint = tok.encode(prompt + choice, true, false);
        if (joint.length > context.length && java.util.Arrays.equals(joint, 0, context.length, context, 0, context.length)) return joint;
        int[] tail = tok.encode(choice, false, false);
        int[] out = java.util.Arrays.copyOf(context, context.length + tail.length);
        System.arraycopy(tail, 0, out, context.length, tail.length);
        return out;
    }

    @Override
    public void setPrefixSharing(boolean on) {
        onEngineThread(() -> scheduler.setPrefixSharing(on)).join();
    }

    /** Scheduler and KV counters, read on the engine thread. */
    public CompletableFuture<String> schedulerState() {
        return onEngineThread(() -> "running " + scheduler.runningCount() + ", waiting " + scheduler.waitingCount()
                + ", free blocks " + cache.freeBlocks() + "/" + cache.numBlocks()
                + ", cached blocks " + cache.cachedBlocks() + ", preemptions " + scheduler.preemptions()
                + ", cancelled " + scheduler.cancellations() + ", cache " + cacheType);
    }

    /** Runs {@code action} on the engine thread between steps (the scheduler is single-threaded). */
    private <T> CompletableFuture<T> onEngineThread(java.util.function.Supplier<T> action) {
        CompletableFuture<T> f = new CompletableFuture<>();
        lifecycle.readLock().lock();
        try {
            if (closed || failure != null) {
                f.completeExceptionally(new IllegalStateException(refusal()));
                return f;
            }
            control.add(() -> {
                try {
                    f.complete(action.get());
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                    if (e instanceof Error err) throw err;
                }
            });
        } finally {
            lifecycle.readLock().unlock();
        }
        LockSupport.unpark(loop);
        return f;
    }

    private CompletableFuture<Void> onEngineThread(Runnable action) {
        return onEngineThread(() -> {
            action.run();
            return null;
        });
    }

    @Override
    public int[] tokenize(String text) {
        return tokenize(text, true);
    }

    @Override
    public int[] tokenize(String text, boolean parseSpecial) {
        if (text == null) throw new IllegalArgumentException("prompt is null");
        return singleBos(loaded.tokenizer().encode(text, true, parseSpecial));
    }

    /** A chat template that writes bos_token itself, plus the tokenizer's own BOS: keep one. */
    private int[] singleBos(int[] ids) {
        Tokenizer tok = loaded.tokenizer();
        if (ids.length >= 2 && tok.bos() >= 0 && ids[0] == tok.bos() && ids[1] == tok.bos()) ids = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
    }

    @Override
    public int[] chatTokens(List<dev.ember.engine.api.ChatMessage> messages, boolean addGenerationPrompt) {
        String rendered = applyChatTemplate(messages, addGenerationPrompt);
        return singleBos(loaded.tokenizer().encodeTemplated(rendered, contentRanges(rendered, messages), true));
    }

    /**
     * Where each message's content stands in the rendered conversation, in order: [start, end)
     * pairs. Templates copy content verbatim or trimmed; content a template rewrote some other way
     * is not found and stays unprotected (none of the templates we know do that).
     */
    static int[] contentRanges(String rendered, List<dev.ember.engine.api.ChatMessage> messages) {
        int[] ranges = new int[2 * messages.size()];
        int n = 0, from = 0;
        for (dev.ember.engine.api.ChatMessage m : messages) {
            String c = m.content();
            if (c == null || c.isEmpty()) continue;
            int at = rendered.indexOf(c, from);
            if (at < 0 && !c.strip().isEmpty()) {
                c = c.strip();
                at = rendered.indexOf(c, from);
            }
            if (at < 0) continue;
            ranges[n++] = at;
            ranges[n++] = at + c.length();
            from = at + c.length();
        }
        return java.util.Arrays.copyOf(ranges, n);
    }

    private volatile dev.ember.engine.chat.ChatTemplate chatTemplate;

    @Override
    public String applyChatTemplate(List<dev.ember.engine.api.ChatMessage> messages, boolean addGenerationPrompt) {
        dev.ember.engine.chat.ChatTemplate t = chatTemplate;
        if (t == null) {
            Object source = loaded.source().metadata().get("tokenizer.chat_template");
            if (!(source instanceof String template)) {
                throw new dev.ember.engine.chat.ChatTemplateException(loaded.source().origin()
                        + " has no chat template (tokenizer.chat_template); pass plain prompts instead");
            }
            Tokenizer tok = loaded.tokenizer();
            t = new dev.ember.engine.chat.ChatTemplate(template, tok.bos() >= 0 ? tok.tokenText(tok.bos()) : "",
                    tok.eos() >= 0 ? tok.tokenText(tok.eos()) : "");
            chatTemplate = t;
        }
        return t.render(messages, addGenerationPrompt);
    }

    @Override
    public String detokenize(int[] tokens) {
        return loaded.tokenizer().decode(tokens);
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(counters.requestsDone.sum(), counters.promptTokens.sum(), counters.cachedPromptTokens.sum(),
                counters.generatedTokens.sum(), (System.nanoTime() - counters.startNanos) / 1e9, counters.cancelled.sum(),
                counters.running, counters.peakRunning, counters.preemptions, cache.numBlocks(), counters.freeBlocks, cacheType,
                counters.forkedPromptTokens.sum());
    }

    @Override
    public int vocabSize() { return model.config().vocabSize(); }

    @Override
    public String describe() { return model.describe(); }

    public LoadedModel loaded() { return loaded; }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true; // from here on no request or control action is queued
        } finally {
            lifecycle.writeLock().unlock();
        }
        LockSupport.unpark(loop);
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending p;
        while ((p = incoming.poll()) != null) {
            p.sink.onFailure(null, "engine closed");
            p.sink.onFinished(null);
        }
        if (embeds != null) embeds.failAll("engine closed");
        // After a step longer than the wait the engine thread still owns the cache and the model:
        // it fails what it holds when it stops, and the memory goes with the process.
        if (!loop.isAlive()) {
            Runnable c;
            while ((c = control.poll()) != null) c.run();
            cache.close();
            loaded.close();
        }
    }
}
