package dev.ember.spark.ml;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

import dev.ember.spark.frame.Task;

/** A Spark ML stage that completes each row's prompt ({@code Ember.generate}). */
public class EmberGenerator extends EmberStage {
  public EmberGenerator() {
    this(Identifiable.randomUID("emberGenerator"));
  }

  public EmberGenerator(String uid) {
    super(uid);
  }

  @Override
  protected Task task() {
    return Task.generate();
  }

  public static MLReader<EmberGenerator> read() {
    return new DefaultParamsReader<>();
  }

  public static EmberGenerator load(String path) {
    return read().load(path);
  }
}
