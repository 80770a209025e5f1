package dev.ember.engine.api;

import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;

/**
 * The Spark-free engine API. An engine owns one loaded model, a worker pool and a KV cache, and
 * serves requests from any number of threads. Requests never throw: a bad request completes with
 * {@link FinishReason#ERROR}. Opening a bad model file fails with a clear exception.
 *
 * <p>Every request is asynchronous. Cancelling a returned future ({@code future.cancel(true)})
 * cancels the request: its sequence leaves the running batch before the engine's next step and
 * its cache blocks are freed at once.
 */
public interface Engine extends AutoCloseable {

    /** Opens an engine with the implementation on the class path (the in-process runtime). */
    static Engine open(Path model, EngineOptions options) {
        return provider().open(model, options);
    }

    /**
     * Checks that {@link #open} would accept {@code model}, without reading its weights: what a
     * Spark driver runs before any task, so a bad model is one clear line and not a failure on
     * every executor. Throws what {@link #open} would throw.
     */
    static void validate(Path model) {
        provider().validate(model);
    }

    private static EngineProvider provider() {
        return ServiceLoader.load(EngineProvider.class, Engine.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Ember engine implementation on the class path (META-INF/services/"
                        + EngineProvider.class.getName() + "); add ember-engine's jar"));
    }

    /** Queues a request; the future completes when it finishes (cancel it to stop the request). */
    CompletableFuture<Result> submit(Request request);

    /** Runs all requests and returns their results in the same order. */
    default List<Result> generate(List<Request> requests) {
        List<CompletableFuture<Result>> futures = requests.stream().map(this::submit).toList();
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /**
     * Cancels every unfinished generate request with this id: each completes with
     * {@link FinishReason#ERROR} ("cancelled") and frees its cache blocks before the next step.
     * Returns how many were cancelled.
     */
    int cancel(String requestId);

    /** Log-likelihood of {@code text} (tokenized with BOS per the model's flags), batched with everything else. */
    CompletableFuture<ScoreResult> scoreAsync(String text);

    /** Log-likelihood of token ids (see {@link #scoreAsync}). */
    CompletableFuture<ScoreResult> scoreTokens(int[] tokens);

    /** {@link #scoreAsync}, waiting for the result. */
    default ScoreResult score(String text) {
        return scoreAsync(text).join();
    }

    /**
     * Zero-shot choice scoring: the log-prob of each continuation after {@code prompt}, which is
     * computed once and shared through the prefix cache. Results are in the order of
     * {@code choices}; each holds the summed log-prob and the continuation's token count.
     */
    CompletableFuture<List<ScoreResult>> scoreChoicesAsync(String prompt, List<String> choices);

    /** {@link #scoreChoicesAsync}, waiting for the results. */
    default List<ScoreResult> scoreChoices(String prompt, List<String> choices) {
        return scoreChoicesAsync(prompt, choices).join();
    }

    /**
     * The embedding of {@code text} (tokenized with the model's special tokens), batched with
     * other embed requests. Never throws: a model that does not embed, an empty or over-long
     * text complete with an error result. An over-long text is cut to the model's
     * {@code max_seq_length} when the model sets one (sentence-transformers folders do; the
     * special end token is kept), and is an error otherwise. The vector is the same whatever else
     * is in the batch.
     */
    CompletableFuture<EmbedResult> embedAsync(String text);

    /** The embedding of token ids, used as given (see {@link #embedAsync}). */
    CompletableFuture<EmbedResult> embedTokens(int[] tokens);

    /** {@link #embedAsync}, waiting for the result. */
    default EmbedResult embed(String text) {
        return embedAsync(text).join();
    }

    /** The embedding size, or 0 for a model that does not embed. */
    int embeddingDimension();

    /** Tokenizes text as a person's prompt (special tokens parsed, BOS per the model), as `ember tokenize` does. */
    int[] tokenize(String text);

    /**
     * Token ids of {@code text}; with {@code parseSpecial} false, control-token texts in it are
     * ordinary text (what {@link Request#ofText(String, String, SamplingParams)} does).
     */
    int[] tokenize(String text, boolean parseSpecial);

    /**
     * A conversation as prompt tokens: rendered with the model's chat template, then tokenized so
     * that only the template's own text can produce control tokens. A message that contains
     * {@code <|im_end|>} or {@code </s>} gets them as ordinary text; the markers the template
     * writes around it are real.
     */
    int[] chatTokens(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * The prompt text for a conversation, rendered with the model's chat template (sandboxed
     * Jinja); with {@code addGenerationPrompt} it ends where the assistant's reply begins. Fails
     * with a clear message when the model has no template or the template rejects the messages.
     */
    String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Decodes token ids to text. */
    String detokenize(int[] tokens);

    /** The model's vocabulary size (token ids are below it). */
    int vocabSize();

    /**
     * Turns prefix sharing on or off (on by default; off also drops the cached blocks nobody
     * uses). For measurements that need every prompt computed; applies to requests submitted after it returns.
     */
    void setPrefixSharing(boolean on);

    /** Counters since the engine opened, and the cache now. */
    EngineStats stats();

    /** A one-line description of the model (architecture, size, type). */
    String describe();

    @Override
    void close();

    /**
     * Why this engine stopped serving, or null while it works. An engine whose own thread failed
     * (a fault reading a model file that changed underneath it, an internal error) completes every
     * request with this message from then on; its owner should close it and open a new one.
     */
    default String failure() {
        return null;
    }
}
