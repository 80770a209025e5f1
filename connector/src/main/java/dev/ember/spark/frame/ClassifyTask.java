package dev.ember.spark.frame;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.ScoreResult;
import dev.ember.spark.ResultColumns;

/**
 * classify: the most likely of the labels as a continuation of the prompt, with each label's
 * log-likelihood. Labels are plain strings ("positive"); the separator a tokenizer needs between
 * prompt and label (a space, unless the prompt ends in whitespace or the label starts with it) is
 * added here, on the engine side of the connector, and the output keeps the plain label. Choices
 * are scored asynchronously (the prompt once, through the prefix cache), so a task keeps its
 * window of rows in the engine's batch.
 */
record ClassifyTask(List<String> labels) implements Task {
  ClassifyTask {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("Ember: classify needs at least one label");
    }
    Set<String> seen = new HashSet<>();
    for (String label : labels) {
      if (label == null || label.isBlank()) {
        throw new IllegalArgumentException("Ember: labels must not be null or empty");
      }
      if (!seen.add(label)) {
        throw new IllegalArgumentException("Ember: duplicate label '" + label + "'");
      }
    }
    labels = List.copyOf(labels);
  }

  @Override
  public String name() {
    return "classify";
  }

  @Override
  public StructType resultType() {
    return ResultColumns.CLASSIFY;
  }

  @Override
  public CompletableFuture<Object[]> start(Engine engine, Request request) {
    long start = System.nanoTime();
    String prompt = request.prompt();
    List<String> continuations = new ArrayList<>(labels.size());
    for (String label : labels) {
      continuations.add(continuation(prompt, label));
    }
    return Futures.map(engine.scoreChoicesAsync(prompt, continuations), scores -> {
      double[] logprobs = new double[labels.size()];
      for (int i = 0; i < labels.size(); i++) {
        ScoreResult s = scores.get(i);
        if (s.error() != null) {
          return ResultColumns.classifyError("label '" + labels.get(i) + "': " + s.error(), System.nanoTime() - start);
        }
        logprobs[i] = s.logprob();
      }
      return ResultColumns.classify(labels, logprobs, System.nanoTime() - start);
    });
  }

  /** The label as the model should see it after the prompt: word-separated. */
  static String continuation(String prompt, String label) {
    boolean separated = prompt.isEmpty() || Character.isWhitespace(prompt.charAt(prompt.length() - 1))
        || Character.isWhitespace(label.charAt(0));
    return separated ? label : " " + label;
  }

  @Override
  public Object[] error(String message, long latencyNanos) {
    return ResultColumns.classifyError(message, latencyNanos);
  }

  @Override
  public boolean asynchronous() {
    return true;
  }

  @Override
  public RowCounts counts(Object[] r) {
    return new RowCounts(0, 0, 0, r[r.length - 1] != null);
  }
}
