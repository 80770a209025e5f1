package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;

/**
 * One kind of per-row work, and the only thing that differs between Ember's tasks: its result
 * struct and how a prepared row becomes result values on the engine. Everything else (reading the
 * prompt, per-row options, chat templates, the in-flight window, error rows, failOnError, metrics,
 * where the struct goes) is {@link RowPipeline}'s, shared by every surface.
 *
 * <p>A new kind plugs in here and nowhere else. Structured output would be a task whose
 * {@link #resultType()} holds a {@code value} field of the struct type compiled from the JSON schema
 * (plus {@code raw_text}) and whose {@link #start} submits a constrained request and parses its
 * text into a Row; embeddings would be a task with an {@code embedding: array<float>} field whose
 * {@code start} calls the engine's embedding call. Neither needs a new code path in any surface.
 */
public interface Task extends Serializable {
  /** generate, score, classify. */
  String name();

  /** The fields of the result struct; one of them is {@code error} (null on success). */
  StructType resultType();

  /**
   * Starts one row on the engine. Problems of the row itself complete the future with error values
   * ({@link #error}); only engine failures complete it exceptionally. Return the engine's own
   * future mapped with {@code Futures.map} (not {@code thenApply}), so that cancelling the returned
   * future (a killed task, a limit that stopped reading) cancels the engine's request and frees its
   * blocks. With {@link #asynchronous()} the pipeline keeps a window of rows in flight.
   */
  CompletableFuture<Object[]> start(Engine engine, Request request);

  /** Result values for a row that failed with {@code message}. */
  Object[] error(String message, long latencyNanos);

  /** Whether {@link #start} returns before the row is done (so many rows can be in flight). */
  boolean asynchronous();

  /** What a row's results add to the metrics. */
  RowCounts counts(Object[] results);

  static Task generate() {
    return new GenerateTask();
  }

  static Task score() {
    return new ScoreTask();
  }

  /** The text's embedding; see {@link EmbedTask}. */
  static Task embed() {
    return new EmbedTask();
  }

  /** Plain labels (no leading space needed); see {@link ClassifyTask}. */
  static Task classify(List<String> labels) {
    return new ClassifyTask(labels);
  }

  /** The task named {@code generate}, {@code score} or {@code classify} (which needs labels). */
  static Task named(String name, List<String> labels) {
    return switch (name) {
      case "generate" -> generate();
      case "score" -> score();
      case "classify" -> classify(labels);
      case "embed" -> embed();
      default -> throw new IllegalArgumentException("Ember: task must be generate, score, classify or embed, got " + name);
    };
  }

  /**
   * The task that runs for {@code task} under {@code options}: generate with an {@code outputSchema}
   * is structured output ({@link StructuredTask}, the results gain the parsed struct); every other
   * task is itself. Every surface resolves its task through here.
   */
  static Task resolve(Task task, EmberOptions options) {
    OutputConstraint c = options.sampling().constraint();
    if (task instanceof GenerateTask && c.outputSchema() != null) {
      return new StructuredTask(c.struct(), c.parsedCol());
    }
    if (!(task instanceof GenerateTask) && !(task instanceof StructuredTask) && c.engineConstraint() != null) {
      throw new IllegalArgumentException("Ember: jsonSchema, regex, choices, grammar and outputSchema apply to generate, not " + task.name());
    }
    return task;
  }

  /** Token accounting of one row. */
  record RowCounts(long promptTokens, long cachedPromptTokens, long completionTokens, boolean error) {}
}
