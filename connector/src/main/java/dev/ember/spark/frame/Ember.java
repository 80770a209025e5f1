package dev.ember.spark.frame;

import static org.apache.spark.sql.functions.col;

import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.executor.SerializableConfiguration;

/**
 * The DataFrame API: each method returns the input's columns followed by the task's results in
 * one struct column ({@code outputCol}, default {@code ember}; see {@link OutputLayout}), one
 * output row per input row.
 *
 * <p>Rows run on their executor's shared engine, so concurrent tasks batch together. An input with
 * fewer partitions than the cluster has cores is first split into contiguous ranges, one per core,
 * so that a one-file input does not keep one request in flight. A row that cannot run (null or
 * empty prompt, an invalid per-row option, a prompt longer than the context) gets an {@code error}
 * value and the job goes on (unless {@code failOnError}); a bad model path or bad options fail at
 * once on the driver. The result is lazy like any Dataset; cache or write it once, since each
 * action reruns the model.
 *
 * <p>From Scala: {@code Ember.generate(df, EmberOptions.model(path).withMaxTokens(32))} and
 * {@code Ember.classify(df, Array("yes", "no"), opts)}.
 */
public final class Ember {
  private static final String ROW_ORDER = "__ember_row_order";

  private Ember() {}

  /** Completes each row's prompt. */
  public static Dataset<Row> generate(Dataset<Row> df, EmberOptions options) {
    return run(df, Task.generate(), options);
  }

  /**
   * Each row's embedding: a struct with {@code embedding array<float>}, {@code tokens},
   * {@code latency_ms} and {@code error} (a row that cannot be embedded gets null and the error).
   */
  public static Dataset<Row> embed(Dataset<Row> df, EmberOptions options) {
    return run(df, Task.embed(), options);
  }

  /** Each row's log-likelihood and perplexity under the model. */
  public static Dataset<Row> score(Dataset<Row> df, EmberOptions options) {
    return run(df, Task.score(), options);
  }

  /**
   * The most likely of {@code labels} as a continuation of each prompt, with every label's
   * log-likelihood. Labels are plain strings ("positive"); Ember separates them from the prompt.
   */
  public static Dataset<Row> classify(Dataset<Row> df, List<String> labels, EmberOptions options) {
    return run(df, Task.classify(labels), options);
  }

  public static Dataset<Row> classify(Dataset<Row> df, String[] labels, EmberOptions options) {
    return classify(df, labels == null ? null : List.of(labels), options);
  }

  /** Runs any task; its live counters go to named accumulators. */
  public static Dataset<Row> run(Dataset<Row> df, Task task, EmberOptions options) {
    return run(df, task, options, null);
  }

  /** Runs any task, counting into {@code metrics} (registered on the driver), or fresh accumulators when null. */
  public static Dataset<Row> run(Dataset<Row> df, Task task, EmberOptions options, EmberAccumulators metrics) {
    return run(df, task, options, metrics, true);
  }

  /**
   * Runs a task on the input's partitions as they are (no spreading, no prefix partitioning):
   * what SQL's batch evaluation uses, inside a query plan the user has already shaped.
   */
  public static Dataset<Row> runOnPartitions(Dataset<Row> df, Task task, EmberOptions options) {
    return run(df, task, options.withPrefix(PrefixPartitioning.off()), null, false);
  }

  private static Dataset<Row> run(Dataset<Row> df, Task task, EmberOptions options, EmberAccumulators metrics, boolean spread) {
    if (options == null) {
      throw new IllegalArgumentException("Ember: options must not be null");
    }
    options.validate();
    task = Task.resolve(task, options);
    StructType output = options.output().schema(df.schema(), task.resultType());
    RowRequests requests = new RowRequests(df.schema(), options);
    SparkSession spark = df.sparkSession();
    var hadoopConf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(options.model(), options.modelSha256(), hadoopConf);
    dev.ember.spark.executor.ModelCache.checkRoot(spark.conf().getOption("spark.ember.model.cacheDir").getOrElse(() -> null));
    Broadcast<SerializableConfiguration> conf =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(new SerializableConfiguration(hadoopConf));
    Dataset<Row> input =
        options.prefix().enabled() ? options.prefix().apply(df, options.promptColumn()) : spread ? spread(df) : df;
    EmberAccumulators counters = metrics != null ? metrics : EmberAccumulators.register(spark.sparkContext(), task.name());
    TaskPartitions partitions =
        new TaskPartitions(
            EngineTarget.of(options, conf), requests, task, options.resolvedInflight(), options.errors(), options.output(), counters);
    return input.mapPartitions(partitions, Encoders.row(output));
  }

  /**
   * An input with fewer partitions than the cluster's cores (a small prompt file reads as one)
   * would keep one task, and so one engine's worth of requests, busy; split it into contiguous
   * ranges instead (not round-robin, so neighbouring prompts, which often share a prefix, stay
   * together for the prefix cache).
   */
  public static Dataset<Row> spread(Dataset<Row> df) {
    int cores = df.sparkSession().sparkContext().defaultParallelism();
    if (df.rdd().getNumPartitions() >= cores) {
      return df;
    }
    String order = InternalColumns.fresh(df.schema(), ROW_ORDER); // never an input column's name
    return df.withColumn(order, org.apache.spark.sql.functions.monotonically_increasing_id())
        .repartitionByRange(cores, col(order))
        .sortWithinPartitions(order)
        .drop(order);
  }

  /**
   * Counts rows and errors of a result (an action: cache or write the result first) and fails
   * when {@link ErrorPolicy#verdict} says so. Returns the number of rows with an error.
   */
  public static long checkErrors(Dataset<Row> result, EmberOptions options) {
    String error = options.output().flattened() ? options.output().flattenPrefix() + "error" : options.output().column() + ".error";
    Row totals =
        result.agg(
                org.apache.spark.sql.functions.count("*"),
                org.apache.spark.sql.functions.count(col(error)))
            .first();
    long rows = totals.getLong(0);
    long errors = totals.getLong(1);
    String verdict = options.errors().verdict(rows, errors);
    if (verdict != null) {
      throw new IllegalStateException("Ember: " + verdict);
    }
    return errors;
  }
}
