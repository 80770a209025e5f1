package dev.ember.spark.source;

import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Parquet, CSV and table inputs for {@code format("ember")}: the source plans and reads line by
 * line (partitions cut by estimated tokens at line ends), so such an input is rewritten as JSON
 * Lines with Spark's own readers first. The copy goes to a fresh temporary directory on the
 * default file system ({@code spark.ember.stagingDir}, default {@code /tmp}: local in local mode,
 * HDFS on a cluster, where executors can read it), never beside the input, which may be read-only.
 * It is made once per {@code load()} (Spark asks for the schema and then the table: the second look
 * reuses the first's copy and drops it), never reused by a later read, which must see the table as
 * it is then (a temp view replaced, or another Connect session's view of the same name), and
 * deleted when the driver's file system closes.
 */
final class StagedInput {
  private record Staged(String path, java.util.List<String> columns) {}

  private static final Map<String, Staged> STAGED = new ConcurrentHashMap<>();

  private StagedInput() {}

  /** {@code last}: the load()'s last look at this input; its staged copy is then not kept for reuse. */
  static SourceOptions asJsonLines(SourceOptions options, SparkSession spark, boolean csvHeader, boolean last) {
    if (options.format().equals("json") || options.format().equals("text")) {
      return options;
    }
    // Per session object: two Connect sessions may each have a view of the same name.
    String key = System.identityHashCode(spark) + "|" + spark.sparkContext().applicationId() + "|" + options.format() + "|"
        + options.path() + "|" + options.table() + "|" + csvHeader;
    Staged staged = last ? STAGED.remove(key) : null;
    if (staged == null) {
      staged = last ? stage(options, spark, csvHeader) : STAGED.computeIfAbsent(key, k -> stage(options, spark, csvHeader));
    }
    if (!options.ember().chat().enabled() && !staged.columns().contains(options.ember().promptColumn())) {
      String source = options.table() != null ? "table " + options.table() : options.path();
      throw new IllegalArgumentException("Ember: prompt column '" + options.ember().promptColumn() + "' is not in "
          + source + "; columns are " + staged.columns() + " (set option promptColumn)");
    }
    return options.withJsonLines(staged.path());
  }

  private static Staged stage(SourceOptions options, SparkSession spark, boolean csvHeader) {
    String dir = spark.conf().get("spark.ember.stagingDir", "/tmp");
    Path staging = new Path(dir, "ember-staging-" + UUID.randomUUID());
    Dataset<Row> rows = switch (options.format()) {
      case "parquet" -> spark.read().parquet(options.path());
      case "table" -> spark.table(options.table());
      default -> spark.read().option("header", csvHeader).option("inferSchema", "true").csv(options.path());
    };
    String source = options.table() != null ? "table " + options.table() : options.path();
    rows.write().mode(SaveMode.ErrorIfExists).option("ignoreNullFields", "false").json(staging.toString());
    try {
      FileSystem fs = staging.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.deleteOnExit(staging);
    } catch (IOException e) {
      throw new IllegalArgumentException("Ember: cannot stage " + source + " in " + dir + ": " + e.getMessage(), e);
    }
    return new Staged(fs(staging, spark), java.util.List.of(rows.columns()));
  }

  private static String fs(Path staging, SparkSession spark) {
    try {
      return staging.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(staging).toString();
    } catch (IOException e) {
      return staging.toString();
    }
  }
}
