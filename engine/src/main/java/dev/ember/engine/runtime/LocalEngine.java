package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.constrain.ConstraintCache;
import dev.ember.engine.constrain.ConstraintCursor;
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
    /** The KV block size of models that keep all their state in blocks. */
    static final int BLOCK_SIZE = 16;

    private final LoadedModel loaded;
    private final Model model;
    private final KvBlockPool pool;
    private final Scheduler scheduler;
    private final EngineCounters counters = new EngineCounters();
    /** Compiled output constraints and their token masks, shared by all requests (null without a tokenizer). */
    private final ConstraintCache constraints;
    private final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> control = new ConcurrentLinkedQueue<>();
    private final Thread loop;
    private volatile boolean closed;

    private record Pending(SequenceSink sink, int[] prompt, int logitsFrom) {}

    private LocalEngine(LoadedModel loaded, EngineOptions options) {
        this.loaded = loaded;
        this.constraints = loaded.hasTokenizer()
                ? new ConstraintCache(loaded.tokenizer(), loaded.model().config().vocabSize(), 64) : null;
        this.model = loaded.model();
        int context = options.contextLength() > 0 ? options.contextLength() : model.config().contextLength();
        long bytesPerToken = Math.max(4, KvBlockPool.bytesPerToken(model.keyWidths(), model.valueWidths()) + model.extraStateBytesPerToken());
        long budget = options.kvCacheBytes() > 0 ? options.kvCacheBytes() : defaultKvBudget(bytesPerToken, context, options.maxSequences());
        int blockSize = model.cacheBlockSize();
        int blocks = (int) Math.max(2, Math.min(Integer.MAX_VALUE, budget / (bytesPerToken * blockSize)));
        this.pool = new KvBlockPool(blockSize, blocks, model.keyWidths(), model.valueWidths());
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
        ConstraintCursor constraint;
        try {
            prompt = request.promptTokens() != null ? request.promptTokens() : tokenize(request.prompt());
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
        incoming.add(new Pending(run, prompt, prompt.length));
        LockSupport.unpark(loop);
        return future;
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

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (!closed) {
            Runnable c;
            while ((c = control.poll()) != null) c.run();
            Pending p;
            while ((p = incoming.poll()) != null) batch.add(p);
            for (Pending q : batch) scheduler.add(q.prompt(), q.sink(), q.logitsFrom());
            batch.clear();
            if (scheduler.idle() && control.isEmpty()) {
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

    /**
     * Scores token ids; runs batched with everything else the engine is doing. A text longer than
     * the context is scored with a sliding window: windows of the context length start every
     * {@code stride = context / 2} tokens, and each scores only the tokens the previous windows did
     * not, so every token after the first is scored exactly once, with at least {@code context -
     * stride} tokens of left context (except in the first window).
     */
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
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
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
    }

    /** Scores targets {@code tokens[from+1 ..]} of a sequence that fits the context. */
    private CompletableFuture<ScoreResult> scoreRange(int[] tokens, int from) {
        CompletableFuture<ScoreResult> future = new CompletableFuture<>();
        if (closed) {
            future.complete(new ScoreResult(Double.NaN, 0, Double.NaN, "engine is closed"));
            return future;
        }
        incoming.add(new Pending(new ScoreRun(model.config().vocabSize(), future), tokens, from));
        LockSupport.unpark(loop);
        return future;
    }

    @Override
    public List<ScoreResult> scoreChoices(String prompt, List<String> choices) {
        int[] context;
        try {
            context = tokenize(prompt);
            if (context.length == 0) throw new IllegalArgumentException("empty prompt");
        } catch (RuntimeException e) {
            return choices.stream().map(c -> new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage())).toList();
        }
        List<CompletableFuture<ScoreResult>> futures = new ArrayList<>();
        for (String choice : choices) {
            try {
                if (choice == null || choice.isEmpty()) throw new IllegalArgumentException("empty choice");
                int[] whole = joinTokens(context, prompt, choice);
                if (whole.length > scheduler.contextLength()) {
                    throw new IllegalArgumentException("prompt and choice of " + whole.length + " tokens exceed the context length " + scheduler.contextLength());
                }
                // Only the choice's tokens are scored; the shared prompt comes from the prefix cache.
                futures.add(scoreRange(whole, context.length - 1));
            } catch (RuntimeException e) {
                futures.add(CompletableFuture.completedFuture(new ScoreResult(Double.NaN, 0, Double.NaN, e.getMessage())));
            }
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /**
     * Prompt tokens followed by the choice's tokens. The pair is tokenized as one text when that
     * keeps the prompt's tokens intact (so the choice's leading space merges as it would in real
     * text); otherwise the choice is tokenized alone and appended.
     */
    private int[] joinTokens(int[] context, String prompt, String choice) {
        Tokenizer tok = loaded.tokenizer();
        int[] joint = tok.encode(prompt + choice, true, true);
        if (joint.length > context.length && java.util.Arrays.equals(joint, 0, context.length, context, 0, context.length)) return joint;
        int[] tail = tok.encode(choice, false, true);
        int[] out = java.util.Arrays.copyOf(context, context.length + tail.length);
        System.arraycopy(tail, 0, out, context.length, tail.length);
        return out;
    }

    /** Turns prefix sharing on or off (for benchmarks); it is on by default. Applies to requests submitted after it returns. */
    public void setPrefixSharing(boolean on) {
        onEngineThread(() -> scheduler.setPrefixSharing(on)).join();
    }

    /** Scheduler and KV counters, read on the engine thread. */
    public CompletableFuture<String> schedulerState() {
        return onEngineThread(() -> "running " + scheduler.runningCount() + ", waiting " + scheduler.waitingCount()
                + ", free blocks " + scheduler.pool().freeBlocks() + "/" + scheduler.pool().numBlocks()
                + ", cached blocks " + scheduler.cache().size() + ", preemptions " + scheduler.preemptions());
    }

    /** Runs {@code action} on the engine thread between steps (the scheduler is single-threaded). */
    private <T> CompletableFuture<T> onEngineThread(java.util.function.Supplier<T> action) {
        CompletableFuture<T> f = new CompletableFuture<>();
        control.add(() -> {
            try {
                f.complete(action.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
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
        if (text == null) throw new IllegalArgumentException("prompt is null");
        Tokenizer tok = loaded.tokenizer();
        int[] ids = tok.encode(text, true, true);
        // A chat template that writes bos_token itself, plus the tokenizer's own BOS: keep one.
        if (ids.length >= 2 && tok.bos() >= 0 && ids[0] == tok.bos() && ids[1] == tok.bos()) ids = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
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
