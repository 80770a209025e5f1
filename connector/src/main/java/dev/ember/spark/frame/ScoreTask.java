package dev.ember.spark.frame;

import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.spark.ResultColumns;

/**
 * score: the text's log-likelihood and perplexity. {@code Engine.score} is synchronous today; when
 * it returns a future, {@link #start} returns {@code engine.score(...).thenApply(...)} and
 * {@link #asynchronous()} turns true — the one change the pipeline needs.
 */
record ScoreTask() implements Task {
  @Override
  public String name() {
    return "score";
  }

  @Override
  public StructType resultType() {
    return ResultColumns.SCORE;
  }

  @Override
  public CompletableFuture<Object[]> start(Engine engine, Request request) {
    long start = System.nanoTime();
    return CompletableFuture.completedFuture(ResultColumns.score(engine.score(request.prompt()), System.nanoTime() - start));
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return ResultColumns.scoreError(message, latencyNanos);
  }

  @Override
  public boolean asynchronous() {
    return false;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts((Integer) r[2], 0, 0, r[r.length - 1] != null);
  }
}
