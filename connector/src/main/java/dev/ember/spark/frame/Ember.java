package dev.ember.spark.frame;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.ResultColumns;
import dev.ember.spark.executor.SerializableConfiguration;

/**
 * The DataFrame API: each method returns the input's columns followed by the task's result
 * columns ({@link ResultColumns}), one output row per input row, in the input's partitioning.
 *
 * <p>Rows run on their executor's shared engine, so concurrent tasks batch together. A row that
 * cannot run (null or empty prompt, an invalid per-row option, a prompt longer than the context)
 * gets an {@code error} value and the job goes on; a bad model path or bad options fail at once on
 * the driver. The result is lazy like any Dataset; cache or write it once, since each action
 * reruns the model.
 *
 * <p>From Scala: {@code Ember.generate(df, EmberOptions.model(path).withMaxTokens(32))} and
 * {@code Ember.classify(df, Array(" yes", " no"), opts)}.
 */
public final class Ember {
  private Ember() {}

  /** Completes each row's prompt. */
  public static Dataset<Row> generate(Dataset<Row> df, EmberOptions options) {
    Prepared p = prepare(df, options, ResultColumns.GENERATE);
    return p.input().mapPartitions(
        new GeneratePartitions(p.target(), p.requests(), options.resolvedInflight()), Encoders.row(p.output()));
  }

  /** Each row's log-likelihood and perplexity under the model. */
  public static Dataset<Row> score(Dataset<Row> df, EmberOptions options) {
    Prepared p = prepare(df, options, ResultColumns.SCORE);
    return p.input().mapPartitions(new ScorePartitions(p.target(), p.requests(), null), Encoders.row(p.output()));
  }

  /**
   * The most likely of {@code labels} as a continuation of each prompt, with every label's
   * log-likelihood. Labels are appended to the prompt verbatim (mind a leading space).
   */
  public static Dataset<Row> classify(Dataset<Row> df, List<String> labels, EmberOptions options) {
    checkLabels(labels);
    Prepared p = prepare(df, options, ResultColumns.CLASSIFY);
    return p.input().mapPartitions(new ScorePartitions(p.target(), p.requests(), labels), Encoders.row(p.output()));
  }

  public static Dataset<Row> classify(Dataset<Row> df, String[] labels, EmberOptions options) {
    return classify(df, labels == null ? null : List.of(labels), options);
  }

  private record Prepared(Dataset<Row> input, EngineTarget target, RowRequests requests, StructType output) {}

  private static Prepared prepare(Dataset<Row> df, EmberOptions options, StructType results) {
    if (options == null) {
      throw new IllegalArgumentException("Ember: options must not be null");
    }
    options.validate();
    StructType output = ResultColumns.append(df.schema(), results);
    RowRequests requests = new RowRequests(df.schema(), options);
    SparkSession spark = df.sparkSession();
    var hadoopConf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(options.model(), hadoopConf);
    Broadcast<SerializableConfiguration> conf =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(new SerializableConfiguration(hadoopConf));
    Dataset<Row> input = options.prefix().apply(df, options.promptColumn());
    return new Prepared(input, EngineTarget.of(options, conf), requests, output);
  }

  private static void checkLabels(List<String> labels) {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("Ember: classify needs at least one label");
    }
    Set<String> seen = new HashSet<>();
    for (String label : labels) {
      if (label == null || label.isEmpty()) {
        throw new IllegalArgumentException("Ember: labels must not be null or empty");
      }
      if (!seen.add(label)) {
        throw new IllegalArgumentException("Ember: duplicate label '" + label + "'");
      }
    }
  }
}
