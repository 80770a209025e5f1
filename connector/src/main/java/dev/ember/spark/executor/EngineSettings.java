package dev.ember.spark.executor;

import java.io.Serializable;

import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;

/**
 * The engine options a job asks for, in a form that travels from the driver to executors (the
 * engine's own {@link EngineOptions} is not Serializable, and its thread count is only known on
 * the executor).
 *
 * @param threads compute threads; 0 sizes the pool from the executor's cores
 * @param contextLength most tokens per sequence; 0 means the model's trained context
 * @param kvCacheBytes KV block pool budget; 0 lets the engine choose
 * @param maxBatchTokens most tokens in one forward step
 * @param maxSequences most sequences running at once in the shared engine
 * @param kvCacheType element type of the KV cache (the engine's default, F16, unless asked)
 */
public record EngineSettings(
    int threads, int contextLength, long kvCacheBytes, int maxBatchTokens, int maxSequences, KvCacheType kvCacheType)
    implements Serializable {

  public static EngineSettings defaults() {
    EngineOptions engine = EngineOptions.defaults();
    return new EngineSettings(
        0, engine.contextLength(), engine.kvCacheBytes(), engine.maxBatchTokens(), engine.maxSequences(), engine.kvCacheType());
  }

  public EngineSettings {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0 = executor cores), got " + threads);
    }
    if (kvCacheType == null) {
      kvCacheType = KvCacheType.DEFAULT;
    }
  }

  /** The engine's options, with {@code executorThreads} used when no thread count was set. */
  public EngineOptions toEngineOptions(int executorThreads) {
    return new EngineOptions(
        threads > 0 ? threads : Math.max(1, executorThreads),
        contextLength,
        kvCacheBytes,
        maxBatchTokens,
        maxSequences,
        kvCacheType,
        0);
  }

  /** Runs the engine's own validation, so bad options fail on the driver rather than in tasks. */
  public void validate() {
    toEngineOptions(1);
  }

  public EngineSettings withThreads(int value) {
    return new EngineSettings(value, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, kvCacheType);
  }

  public EngineSettings withContextLength(int value) {
    return new EngineSettings(threads, value, kvCacheBytes, maxBatchTokens, maxSequences, kvCacheType);
  }

  public EngineSettings withKvCacheBytes(long value) {
    return new EngineSettings(threads, contextLength, value, maxBatchTokens, maxSequences, kvCacheType);
  }

  public EngineSettings withMaxBatchTokens(int value) {
    return new EngineSettings(threads, contextLength, kvCacheBytes, value, maxSequences, kvCacheType);
  }

  public EngineSettings withMaxSequences(int value) {
    return new EngineSettings(threads, contextLength, kvCacheBytes, maxBatchTokens, value, kvCacheType);
  }

  public EngineSettings withKvCacheType(KvCacheType value) {
    return new EngineSettings(threads, contextLength, kvCacheBytes, maxBatchTokens, maxSequences, value);
  }
}
