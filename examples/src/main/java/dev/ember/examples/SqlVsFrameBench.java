package dev.ember.examples;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

/**
 * Rows/s of {@code Ember.generate} against {@code SELECT ember_generate(...)} with batch evaluation
 * (the planner rule) and without it (row at a time, {@code spark.ember.sql.batch=false}), on the
 * same prompts and partitions. Each run writes every column to Spark's noop sink, so nothing is pruned.
 *
 * <pre>SqlVsFrameBench MODEL [ROWS [MAX_TOKENS]]</pre>
 */
public final class SqlVsFrameBench {
  private SqlVsFrameBench() {}

  public static void main(String[] args) {
    String model = args[0];
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    int maxTokens = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    SparkSession spark = SparkSession.builder().appName("ember-sql-bench").master(System.getProperty("spark.master", "local[2]"))
        .config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress()).config("spark.ui.enabled", "false")
        .config("spark.sql.extensions", "dev.ember.spark.sql.EmberSqlExtensions")
        .config("spark.ember.model", model).config("spark.ember.maxTokens", Integer.toString(maxTokens)).getOrCreate();
    try {
      List<Row> data = new ArrayList<>();
      String[] openings = {"Once upon a time", "The little dog", "Lily went to the park", "One day, Tom", "She was happy"};
      for (int i = 0; i < rows; i++) {
        data.add(RowFactory.create(i, openings[i % openings.length] + " " + i));
      }
      StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
      Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2).cache();
      df.count();
      df.createOrReplaceTempView("bench_prompts");
      EmberOptions opts = EmberOptions.model(model).withMaxTokens(maxTokens);
      Ember.generate(df.limit(4), opts).select("ember.text").count(); // load the model once
      report("Ember.generate", rows, () -> consume(Ember.generate(df, opts)));
      spark.conf().set("spark.ember.sql.batch", "true");
      report("SQL ember_generate, batched", rows,
          () -> consume(spark.sql("SELECT id, ember_generate(prompt) AS ember FROM bench_prompts")));
      spark.conf().set("spark.ember.sql.batch", "false");
      report("SQL ember_generate, row at a time", rows,
          () -> consume(spark.sql("SELECT id, ember_generate(prompt) AS ember FROM bench_prompts")));
    } finally {
      spark.stop();
    }
  }

  private static void consume(Dataset<Row> result) {
    result.write().format("noop").mode("overwrite").save();
  }

  private static void report(String what, int rows, Runnable run) {
    long start = System.nanoTime();
    run.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(String.format(Locale.ROOT, "EMBER_BENCH %-36s rows=%d seconds=%.2f rows_per_s=%.1f", what, rows, seconds, rows / seconds));
  }
}
