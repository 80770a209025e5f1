package dev.ember.engine.api;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Spark-free engine API. An engine owns one loaded model, a worker pool and a KV cache, and
 * serves requests from any number of threads. Requests never throw: a bad request completes with
 * {@link FinishReason#ERROR}. Opening a bad model file fails with a clear exception.
 */
public interface Engine extends AutoCloseable {

    static Engine open(Path model, EngineOptions options) {
        return dev.ember.engine.runtime.LocalEngine.open(model, options);
    }

    /** Queues a request; the future completes when it finishes. */
    CompletableFuture<Result> submit(Request request);

    /** Runs all requests and returns their results in the same order. */
    default List<Result> generate(List<Request> requests) {
        List<CompletableFuture<Result>> futures = requests.stream().map(this::submit).toList();
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /** Log-likelihood of {@code text} (tokenized with BOS per the model's flags). */
    ScoreResult score(String text);

    /**
     * Zero-shot choice scoring: the log-prob of each continuation after {@code prompt}, which is
     * computed once and shared through the prefix cache. Results are in the order of
     * {@code choices}; each holds the summed log-prob and the continuation's token count.
     */
    List<ScoreResult> scoreChoices(String prompt, List<String> choices);

    /** Tokenizes text as a request's prompt would be (special tokens parsed, BOS per the model). */
    int[] tokenize(String text);

    /**
     * The prompt text for a conversation, rendered with the model's chat template (sandboxed
     * Jinja); with {@code addGenerationPrompt} it ends where the assistant's reply begins. Fails
     * with a clear message when the model has no template or the template rejects the messages.
     */
    String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Decodes token ids to text. */
    String detokenize(int[] tokens);

    /** Cumulative counters since the engine opened. */
    EngineStats stats();

    /** A one-line description of the model (architecture, size, type). */
    String describe();

    @Override
    void close();
}
