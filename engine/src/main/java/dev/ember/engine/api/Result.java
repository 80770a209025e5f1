package dev.ember.engine.api;

import java.util.List;

/**
 * The outcome of one request. A failed request has {@link FinishReason#ERROR}, a non-null
 * {@code error} and empty text; it never throws out of the engine. A constrained request
 * ({@link SamplingParams#constraint()}) that max tokens or the context cut off before its output was
 * complete has {@link FinishReason#LENGTH}, its partial text and an {@code error} saying it is
 * incomplete.
 *
 * @param logprobs per generated token, or null when the request did not ask for them
 */
public record Result(
        String requestId,
        String text,
        int[] tokenIds,
        int[] promptTokenIds,
        FinishReason finishReason,
        int promptTokens,
        int cachedPromptTokens,
        int completionTokens,
        List<TokenLogprob> logprobs,
        String error,
        long latencyNanos) {

    public static Result failed(String requestId, String error, long latencyNanos) {
        return new Result(requestId, "", new int[0], new int[0], FinishReason.ERROR, 0, 0, 0, null, error, latencyNanos);
    }

    public boolean ok() { return error == null; }
}
