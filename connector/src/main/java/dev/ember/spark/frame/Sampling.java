package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.List;

import dev.ember.engine.api.SamplingParams;

/**
 * The job-wide sampling defaults; per-row option columns override them row by row. Kept apart
 * from the engine's {@link SamplingParams} because that record is not Serializable.
 *
 * @param logprobs top alternatives reported per generated token; -1 reports nothing
 * @param constraint structured output: what the text must match, and the struct it is parsed into
 */
public record Sampling(
    int maxTokens,
    float temperature,
    int topK,
    float topP,
    float minP,
    float repetitionPenalty,
    long seed,
    List<String> stop,
    int logprobs,
    OutputConstraint constraint)
    implements Serializable {

  public Sampling {
    stop = stop == null ? List.of() : List.copyOf(stop);
    constraint = constraint == null ? OutputConstraint.none() : constraint;
  }

  public Sampling(int maxTokens, float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed,
      List<String> stop, int logprobs) {
    this(maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, stop, logprobs, OutputConstraint.none());
  }

  /** Greedy decoding of up to 128 tokens, no log-probs. */
  public static Sampling defaults() {
    return new Sampling(128, 0f, 0, 1f, 0f, 1f, 0L, List.of(), -1);
  }

  /** The engine's parameters; throws IllegalArgumentException for invalid values. */
  public SamplingParams.Builder toBuilder() {
    return SamplingParams.builder()
        .maxTokens(maxTokens)
        .temperature(temperature)
        .topK(topK)
        .topP(topP)
        .minP(minP)
        .repetitionPenalty(repetitionPenalty)
        .seed(seed)
        .stop(stop)
        .logprobs(logprobs)
        .constraint(constraint.engineConstraint());
  }

  void validate() {
    constraint.validate();
    toBuilder().build();
  }

  public Sampling withMaxTokens(int v) {
    return new Sampling(v, temperature, topK, topP, minP, repetitionPenalty, seed, stop, logprobs, constraint);
  }

  public Sampling withTemperature(float v) {
    return new Sampling(maxTokens, v, topK, topP, minP, repetitionPenalty, seed, stop, logprobs, constraint);
  }

  public Sampling withTopK(int v) {
    return new Sampling(maxTokens, temperature, v, topP, minP, repetitionPenalty, seed, stop, logprobs, constraint);
  }

  public Sampling withTopP(float v) {
    return new Sampling(maxTokens, temperature, topK, v, minP, repetitionPenalty, seed, stop, logprobs, constraint);
  }

  public Sampling withMinP(float v) {
    return new Sampling(maxTokens, temperature, topK, topP, v, repetitionPenalty, seed, stop, logprobs, constraint);
  }

  public Sampling withRepetitionPenalty(float v) {
    return new Sampling(maxTokens, temperature, topK, topP, minP, v, seed, stop, logprobs, constraint);
  }

  public Sampling withSeed(long v) {
    return new Sampling(maxTokens, temperature, topK, topP, minP, repetitionPenalty, v, stop, logprobs, constraint);
  }

  public Sampling withStop(List<String> v) {
    return new Sampling(maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, v, logprobs, constraint);
  }

  public Sampling withLogprobs(int v) {
    return new Sampling(maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, stop, v, constraint);
  }

  public Sampling withConstraint(OutputConstraint v) {
    return new Sampling(maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, stop, logprobs, v);
  }
}
