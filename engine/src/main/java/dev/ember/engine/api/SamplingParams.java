package dev.ember.engine.api;

import java.util.List;

/**
 * Per-request sampling options. {@code temperature <= 0} means greedy (argmax). Filters run in
 * llama.cpp's order: penalties, top-k, top-p, min-p, temperature, then a draw with the
 * request's own seeded generator, so a request's output depends only on its own parameters.
 *
 * @param maxTokens          most tokens to generate
 * @param temperature        0 for greedy
 * @param topK               0 disables
 * @param topP               1 disables
 * @param minP               0 disables
 * @param repetitionPenalty  1 disables (CTRL-style: positive logits divided, negative multiplied)
 * @param presencePenalty    0 disables (subtracted once per token already seen)
 * @param frequencyPenalty   0 disables (subtracted per occurrence)
 * @param penaltyLastN       how many recent tokens the penalties look at; -1 means the whole context
 * @param seed               the request's random seed
 * @param stop               stop strings; the text is cut before the first match
 * @param stopTokenIds       extra token ids that end generation (the model's end-of-generation tokens always do, unless ignoreEos)
 * @param ignoreEos          keep generating past end-of-generation tokens
 * @param logprobs           number of top alternatives to report per generated token; -1 reports nothing, 0 only the chosen token's log-prob
 * @param constraint         what the output must match (JSON schema, regex, choice, grammar), or null for free text;
 *                           applied after the penalties and before top-k/top-p/min-p and the draw
 */
public record SamplingParams(
        int maxTokens,
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        float presencePenalty,
        float frequencyPenalty,
        int penaltyLastN,
        long seed,
        List<String> stop,
        int[] stopTokenIds,
        boolean ignoreEos,
        int logprobs,
        Constraint constraint) {

    public SamplingParams {
        if (maxTokens < 0) throw new IllegalArgumentException("max_tokens must be >= 0, got " + maxTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        if (Float.isNaN(presencePenalty) || Float.isNaN(frequencyPenalty)) throw new IllegalArgumentException("penalties must be numbers");
        if (penaltyLastN < -1) throw new IllegalArgumentException("penalty_last_n must be >= -1, got " + penaltyLastN);
        if (logprobs < -1 || logprobs > 20) throw new IllegalArgumentException("logprobs must be in [-1, 20], got " + logprobs);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
    }

    /** Greedy decoding of up to {@code maxTokens} tokens. */
    public static SamplingParams greedy(int maxTokens) {
        return builder().maxTokens(maxTokens).build();
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTokens = maxTokens; b.temperature = temperature; b.topK = topK; b.topP = topP; b.minP = minP;
        b.repetitionPenalty = repetitionPenalty; b.presencePenalty = presencePenalty; b.frequencyPenalty = frequencyPenalty;
        b.penaltyLastN = penaltyLastN; b.seed = seed; b.stop = stop; b.stopTokenIds = stopTokenIds; b.ignoreEos = ignoreEos;
        b.logprobs = logprobs;
        b.constraint = constraint;
        return b;
    }

    public boolean isGreedy() { return temperature <= 0; }

    /** Mutable builder with the defaults: 256 tokens, greedy, no filters, seed 0. */
    public static final class Builder {
        private int maxTokens = 256;
        private float temperature = 0f;
        private int topK = 0;
        private float topP = 1f;
        private float minP = 0f;
        private float repetitionPenalty = 1f;
        private float presencePenalty = 0f;
        private float frequencyPenalty = 0f;
        private int penaltyLastN = 64;
        private long seed = 0;
        private List<String> stop = List.of();
        private int[] stopTokenIds = new int[0];
        private boolean ignoreEos = false;
        private int logprobs = -1;
        private Constraint constraint;

        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(float v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(float v) { frequencyPenalty = v; return this; }
        public Builder penaltyLastN(int v) { penaltyLastN = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopTokenIds(int... v) { stopTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder logprobs(int v) { logprobs = v; return this; }
        public Builder constraint(Constraint v) { constraint = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(maxTokens, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, penaltyLastN, seed, stop, stopTokenIds, ignoreEos, logprobs, constraint);
        }
    }
}
