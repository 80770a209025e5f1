package dev.ember.spark.ml;

import java.util.List;

import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

import dev.ember.spark.frame.Task;

/** A Spark ML stage that picks the most likely of plain-string labels per row ({@code Ember.classify}). */
public class EmberClassifier extends EmberStage {
  private final StringArrayParam labels;

  public EmberClassifier() {
    this(Identifiable.randomUID("emberClassifier"));
  }

  public EmberClassifier(String uid) {
    super(uid);
    this.labels = new StringArrayParam(this, "labels", "the candidate labels, plain strings");
  }

  public StringArrayParam labels() {
    return labels;
  }

  public EmberClassifier setLabels(String... values) {
    Task.classify(List.of(values)); // empty, blank or duplicate labels fail here
    set(labels, values);
    return this;
  }

  @Override
  protected Task task() {
    if (!isDefined(labels)) {
      throw new IllegalArgumentException("Ember: EmberClassifier needs setLabels(...)");
    }
    return Task.classify(List.of($(labels)));
  }

  public static MLReader<EmberClassifier> read() {
    return new DefaultParamsReader<>();
  }

  public static EmberClassifier load(String path) {
    return read().load(path);
  }
}
