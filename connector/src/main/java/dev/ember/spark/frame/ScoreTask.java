package dev.ember.spark.frame;

import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.spark.ResultColumns;

/**
 * score: the text's log-likelihood and perplexity, through the engine's asynchronous scoring, so a
 * task keeps its whole window of texts in the engine's batch; latency counts from submission.
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
    CompletableFuture<dev.ember.engine.api.ScoreResult> scored;
    if (request.parseSpecial()) { // parseSpecial: control-token texts in the data are control tokens
      try {
        scored = engine.scoreTokens(engine.tokenize(request.prompt(), true));
      } catch (RuntimeException e) {
        return CompletableFuture.completedFuture(error(e.getMessage(), System.nanoTime() - start));
      }
    } else {
      scored = engine.scoreAsync(request.prompt());
    }
    return Futures.map(scored, s -> ResultColumns.score(s, System.nanoTime() - start));
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return ResultColumns.scoreError(message, latencyNanos);
  }

  @Override
  public boolean asynchronous() {
    return true;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts((Integer) r[2], 0, 0, r[r.length - 1] != null);
  }
}
