package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.List;

import dev.ember.engine.api.SamplingParams;

/**
 * The job-wide sampling defaults; per-row option columns override them row by row. Kept apart
 * from the engine's {@link SamplingParams} because that record is not Serializable.
 */
public record Sampling(
    int maxTokens,
    float temperature,
    int topK,
    float topP,
    float minP,
    float repetitionPenalty,
    long seed,
    List<String> stop)
    implements Serializable {

  public Sampling {
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  /** Greedy decoding of up to 128 tokens. */
  public static Sampling defaults() {
    return new Sampling(128, 0f, 0, 1f, 0f, 1f, 0L, List.of());
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
        .stop(stop);
  }

  void validate() {
    toBuilder().build();
  }
}
