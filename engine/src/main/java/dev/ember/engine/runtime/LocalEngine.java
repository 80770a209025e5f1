package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.Model;
import dev.ember.engine.sched.Scheduler;
import dev.ember.engine.sched.SequenceSink;
import dev.ember.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The in-process engine: one model, one KV block pool, and one engine thread that runs the
 * continuous-batching {@link Scheduler}. Any thread may submit; tokenization happens on the
 * submitting thread, so many submitters tokenize in parallel while the engine thread computes.
 */
public final class LocalEngine implements Engine {
    static final int BLOCK_SIZE = 16;

    private final LoadedModel loaded;
    private final Model model;
    private final KvBlockPool pool;
    private final Scheduler scheduler;
    private final EngineCounters counters = new EngineCounters();
    private final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private final Thread loop;
    private volatile boolean closed;

    private record Pending(SequenceSink sink, int[] prompt, boolean scoring) {}

    private LocalEngine(LoadedModel loaded, EngineOptions options) {
        this.loaded = loaded;
        this.model = loaded.model();
        int context = options.contextLength() > 0 ? options.contextLength() : model.config().contextLength();
        long bytesPerToken = KvBlockPool.bytesPerToken(model.keyWidths(), model.valueWidths());
        long budget = options.kvCacheBytes() > 0 ? options.kvCacheBytes() : defaultKvBudget(bytesPerToken, context, options.maxSequences());
        int blocks = (int) Math.max(2, Math.min(Integer.MAX_VALUE, budget / (bytesPerToken * BLOCK_SIZE)));
        this.pool = new KvBlockPool(BLOCK_SIZE, blocks, model.keyWidths(), model.valueWidths());
        this.scheduler = new Scheduler(model, pool, options.maxBatchTokens(), options.maxSequences(), context);
        this.loop = new Thread(this::run, "ember-engine");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * The KV budget when none is given: enough for every sequence to use the full context, but at
     * most a quarter of the heap that is free now (the rest is for activations and the caller).
     */
    static long defaultKvBudget(long bytesPerToken, int context, int maxSequences) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long want = bytesPerToken * (long) context * maxSequences;
        return Math.max(bytesPerToken * BLOCK_SIZE * 4, Math.min(want, free / 4));
    }

    public static Engine open(Path model, EngineOptions options) {
        LoadedModel loaded = LoadedModel.open(model, options.threads());
        try {
            return new LocalEngine(loaded, options);
        } catch (RuntimeException | OutOfMemoryError e) {
            loaded.close();
            throw e;
        }
    }

    @Override
    public CompletableFuture<Result> submit(Request request) {
        CompletableFuture<Result> future = new CompletableFuture<>();
        long start = System.nanoTime();
        if (closed) {
            future.complete(Result.failed(request.id(), "engine is closed", 0));
            return future;
        }
        int[] prompt;
        try {
            prompt = request.promptTokens() != null ? request.promptTokens() : tokenize(request.prompt());
            validatePrompt(prompt);
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
                future, start, counters);
        counters.promptTokens.add(prompt.length);
        if (run.finishedBeforeStart()) {
            run.complete();
            return future;
        }
        incoming.add(new Pending(run, prompt, false));
        LockSupport.unpark(loop);
        return future;
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

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (!closed) {
            Pending p;
            while ((p = incoming.poll()) != null) batch.add(p);
            for (Pending q : batch) scheduler.add(q.prompt(), q.sink(), q.scoring());
            batch.clear();
            if (scheduler.idle()) {
                LockSupport.parkNanos(this, 50_000_000L);
                continue;
            }
            try {
                scheduler.step();
            } catch (RuntimeException | OutOfMemoryError e) {
                scheduler.failAll("engine step failed: " + e);
            }
        }
        scheduler.failAll("engine closed");
    }

    @Override
    public ScoreResult score(String text) {
        try {
            return scoreTokens(tokenize(text)).join();
        } catch (RuntimeException e) {
            return new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage());
        }
    }

    /** Scores token ids; runs batched with everything else the engine is doing. */
    public CompletableFuture<ScoreResult> scoreTokens(int[] tokens) {
        CompletableFuture<ScoreResult> future = new CompletableFuture<>();
        try {
            validatePrompt(tokens);
            if (tokens.length < 2) throw new IllegalArgumentException("a text needs at least 2 tokens to score");
        } catch (RuntimeException e) {
            future.complete(new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage()));
            return future;
        }
        if (closed) {
            future.complete(new ScoreResult(Double.NaN, 0, Double.NaN, "engine is closed"));
            return future;
        }
        incoming.add(new Pending(new ScoreRun(model.config().vocabSize(), future), tokens, true));
        LockSupport.unpark(loop);
        return future;
    }

    @Override
    public int[] tokenize(String text) {
        if (text == null) throw new IllegalArgumentException("prompt is null");
        return loaded.tokenizer().encode(text, true, true);
    }

    @Override
    public String detokenize(int[] tokens) {
        return loaded.tokenizer().decode(tokens);
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(counters.requestsDone.sum(), counters.promptTokens.sum(), counters.cachedPromptTokens.sum(),
                counters.generatedTokens.sum(), (System.nanoTime() - counters.startNanos) / 1e9);
    }

    @Override
    public String describe() { return model.describe(); }

    public LoadedModel loaded() { return loaded; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        LockSupport.unpark(loop);
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending p;
        while ((p = incoming.poll()) != null) {
            p.sink().onFailure(null, "engine closed");
            p.sink().onFinished(null);
        }
        loaded.close();
    }
}
