package dev.ember.spark.ml;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

import dev.ember.spark.frame.Task;

/** A Spark ML stage that scores each row's text: log-likelihood and perplexity ({@code Ember.score}). */
public class EmberScorer extends EmberStage {
  public EmberScorer() {
    this(Identifiable.randomUID("emberScorer"));
  }

  public EmberScorer(String uid) {
    super(uid);
  }

  @Override
  protected Task task() {
    return Task.score();
  }

  public static MLReader<EmberScorer> read() {
    return new DefaultParamsReader<>();
  }

  public static EmberScorer load(String path) {
    return read().load(path);
  }
}
