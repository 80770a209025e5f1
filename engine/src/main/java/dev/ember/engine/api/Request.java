package dev.ember.engine.api;

/**
 * One generation request: a prompt, as text (tokenized with the model's tokenizer, BOS added per
 * the model's flags) or as token ids, and its own sampling options. {@code parseSpecial} says
 * whether control-token text in the prompt ({@code <|endoftext|>}, {@code </s>}, ...) becomes the
 * control token; it is off unless asked for, because prompt text usually comes from data, and a
 * row must not be able to end or restart its own sequence (HF's {@code split_special_tokens=True},
 * llama.cpp's {@code parse_special=false}). Chat prompts use {@link Engine#chatTokens}, where only
 * the template's own markers are special.
 */
public record Request(String id, String prompt, int[] promptTokens, SamplingParams sampling, boolean parseSpecial) {
    public Request {
        if ((prompt == null) == (promptTokens == null)) {
            throw new IllegalArgumentException("a request needs exactly one of prompt text or prompt tokens");
        }
        if (sampling == null) sampling = SamplingParams.greedy(256);
        promptTokens = promptTokens == null ? null : promptTokens.clone();
    }

    /** Text whose control-token look-alikes stay ordinary text. */
    public static Request ofText(String id, String prompt, SamplingParams sampling) {
        return new Request(id, prompt, null, sampling, false);
    }

    /** Text whose control-token texts become control tokens when {@code parseSpecial} (a prompt a person wrote with them on purpose). */
    public static Request ofText(String id, String prompt, SamplingParams sampling, boolean parseSpecial) {
        return new Request(id, prompt, null, sampling, parseSpecial);
    }

    public static Request ofTokens(String id, int[] tokens, SamplingParams sampling) {
        return new Request(id, null, tokens, sampling, false);
    }
}
