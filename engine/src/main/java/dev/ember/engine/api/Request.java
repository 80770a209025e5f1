package dev.ember.engine.api;

/**
 * One generation request: a prompt, as text (tokenized with the model's tokenizer, BOS added per
 * the model's flags) or as token ids, and its own sampling options.
 */
public record Request(String id, String prompt, int[] promptTokens, SamplingParams sampling) {
    public Request {
        if ((prompt == null) == (promptTokens == null)) {
            throw new IllegalArgumentException("a request needs exactly one of prompt text or prompt tokens");
        }
        if (sampling == null) sampling = SamplingParams.greedy(256);
        promptTokens = promptTokens == null ? null : promptTokens.clone();
    }

    public static Request ofText(String id, String prompt, SamplingParams sampling) {
        return new Request(id, prompt, null, sampling);
    }

    public static Request ofTokens(String id, int[] tokens, SamplingParams sampling) {
        return new Request(id, null, tokens, sampling);
    }
}
