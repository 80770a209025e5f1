package dev.ember.spark.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Parquet and CSV prompt datasets for {@code format("ember")}: the source plans and reads line by
 * line (partitions cut by estimated tokens at line ends), so a columnar or CSV input is first
 * rewritten as JSON Lines with Spark's own readers, once, on the input's file system. Prompt
 * files are small next to the inference they drive. The staged copy goes to the
 * {@code stagingDir} option (default: a hidden sibling of the input) and is deleted when the
 * driver's file system closes.
 */
final class StagedInput {
  private StagedInput() {}

  static SourceOptions asJsonLines(SourceOptions options, SparkSession spark, boolean csvHeader, String stagingDir) {
    if (options.format().equals("json") || options.format().equals("text")) {
      return options;
    }
    Path input = new Path(options.path());
    Path staging = stagingDir != null
        ? new Path(stagingDir, "ember-staging-" + UUID.randomUUID())
        : new Path(input.getParent() == null ? input : input.getParent(), "_ember_staging_" + UUID.randomUUID());
    Dataset<Row> rows = options.format().equals("parquet")
        ? spark.read().parquet(options.path())
        : spark.read().option("header", csvHeader).option("inferSchema", "true").csv(options.path());
    if (!java.util.List.of(rows.columns()).contains(options.ember().promptColumn())) {
      throw new IllegalArgumentException("Ember: prompt column '" + options.ember().promptColumn() + "' is not in "
          + options.path() + "; columns are " + java.util.List.of(rows.columns()) + " (set option promptColumn)");
    }
    rows.write().mode(SaveMode.ErrorIfExists).option("ignoreNullFields", "false").json(staging.toString());
    try {
      FileSystem fs = staging.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.deleteOnExit(staging);
    } catch (IOException e) {
      throw new UncheckedIOException("Ember: cannot stage " + options.path(), e);
    }
    return new SourceOptions(staging.toString(), "json", options.task(), options.ember(), options.partitionTokens(), options.batchRows());
  }
}
