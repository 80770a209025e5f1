package dev.ember.spark.executor;

import dev.ember.engine.api.EngineOptions;

/**
 * What makes two engines interchangeable: the same model source and the same resolved options.
 * Tasks asking for an equal key share one engine, so their requests join the same batches.
 *
 * @param modelUri the model as the user named it (any Hadoop FileSystem URI or a plain path)
 * @param expectedSha256 hex SHA-256 the model file must have, or null to skip the check
 * @param options the engine options with the thread count already resolved on this executor
 */
public record EngineKey(String modelUri, String expectedSha256, EngineOptions options) {
  public EngineKey {
    if (modelUri == null || modelUri.isBlank()) {
      throw new IllegalArgumentException("model URI must not be empty");
    }
    if (options == null) {
      throw new IllegalArgumentException("engine options must not be null");
    }
  }
}
