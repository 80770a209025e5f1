package dev.ember.spark.frame;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.ScoreResult;
import dev.ember.spark.ResultColumns;
import dev.ember.spark.executor.EngineLease;

/**
 * score and classify, one partition at a time. Engine.score is synchronous today, so each task
 * scores its rows in turn and the executor's tasks run side by side on the shared engine; a
 * batched choice-scoring call from the engine would replace the per-label loop.
 */
final class ScorePartitions implements MapPartitionsFunction<Row, Row> {
  private final EngineTarget target;
  private final RowRequests requests;
  private final List<String> labels; // null for score

  ScorePartitions(EngineTarget target, RowRequests requests, List<String> labels) {
    this.target = target;
    this.requests = requests;
    this.labels = labels == null ? null : List.copyOf(labels);
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    EngineLease lease = target.acquire();
    Engine engine = lease.engine();
    OrderedPipeline<Row, Row> pipeline =
        new OrderedPipeline<>(rows, 1, row -> CompletableFuture.completedFuture(process(engine, row)));
    return OutputRows.releasingAtEnd(pipeline, lease);
  }

  private Row process(Engine engine, Row row) {
    long start = System.nanoTime();
    String text;
    try {
      text = requests.prompt(row, engine);
    } catch (RuntimeException e) {
      String error = "chat template: " + e.getMessage();
      return OutputRows.append(row, labels == null ? ResultColumns.scoreError(error, 0) : ResultColumns.classifyError(error, 0));
    }
    String problem = RowRequests.checkPrompt(text);
    if (problem != null) {
      return OutputRows.append(row, labels == null ? ResultColumns.scoreError(problem, 0) : ResultColumns.classifyError(problem, 0));
    }
    try {
      return OutputRows.append(row, labels == null ? score(engine, text, start) : classify(engine, text, start));
    } catch (RuntimeException e) {
      String error = OutputRows.describe(e);
      long elapsed = System.nanoTime() - start;
      return OutputRows.append(
          row, labels == null ? ResultColumns.scoreError(error, elapsed) : ResultColumns.classifyError(error, elapsed));
    }
  }

  private static Object[] score(Engine engine, String text, long start) {
    ScoreResult s = engine.score(text);
    return ResultColumns.score(s, System.nanoTime() - start);
  }

  /**
   * Each label's log-likelihood as a continuation of the prompt, from the engine's choice
   * scoring: the prompt is computed once and shared by all labels through the prefix cache.
   * Labels are appended verbatim, so a label usually starts with a space.
   */
  private Object[] classify(Engine engine, String prompt, long start) {
    List<ScoreResult> scores = engine.scoreChoices(prompt, labels);
    double[] logprobs = new double[labels.size()];
    for (int i = 0; i < labels.size(); i++) {
      ScoreResult s = scores.get(i);
      if (s.error() != null) {
        return ResultColumns.classifyError("label '" + labels.get(i) + "': " + s.error(), System.nanoTime() - start);
      }
      logprobs[i] = s.logprob();
    }
    return ResultColumns.classify(labels, logprobs, System.nanoTime() - start);
  }
}
