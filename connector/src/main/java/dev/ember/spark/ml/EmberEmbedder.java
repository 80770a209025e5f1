package dev.ember.spark.ml;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

import dev.ember.spark.frame.Task;

/** A Spark ML stage that embeds each row's text: an {@code embedding} array and its token count ({@code Ember.embed}). */
public class EmberEmbedder extends EmberStage {
  public EmberEmbedder() {
    this(Identifiable.randomUID("emberEmbedder"));
  }

  public EmberEmbedder(String uid) {
    super(uid);
  }

  @Override
  protected Task task() {
    return Task.embed();
  }

  public static MLReader<EmberEmbedder> read() {
    return new DefaultParamsReader<>();
  }

  public static EmberEmbedder load(String path) {
    return read().load(path);
  }
}
