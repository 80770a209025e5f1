package dev.ember.spark.frame;

import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.spark.ResultColumns;

/** generate: the engine's completion, with finish reason, token counts and optional log-probs. */
record GenerateTask() implements Task {
  @Override
  public String name() {
    return "generate";
  }

  @Override
  public StructType resultType() {
    return ResultColumns.GENERATE;
  }

  @Override
  public CompletableFuture<Object[]> start(Engine engine, Request request) {
    return Futures.map(engine.submit(request), ResultColumns::generate);
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return ResultColumns.generateError(message, latencyNanos);
  }

  @Override
  public boolean asynchronous() {
    return true;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts((Integer) r[2], (Integer) r[3], (Integer) r[4], r[r.length - 1] != null);
  }
}
