package dev.ember.spark.source;

import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.types.StructType;

/**
 * What {@code format("ember")} reads, in one of two ways.
 *
 * <p>{@link LineFiles}: JSON Lines and text, which the source reads itself, line by line, in
 * partitions cut by estimated tokens, returning Arrow batches with token metrics on the scan node
 * ({@link EmberScan}).
 *
 * <p>{@link Frame}: Parquet, CSV, a table or a view, which Spark reads: the input is a DataFrame
 * ({@code spark.read().parquet(path)}, {@code spark.table(name)}, ...) and the scan runs it through
 * {@code Ember.run}, the DataFrame API's pipeline ({@link FrameScan}). Its columns keep their types
 * (an {@code INT} stays {@code INT}, a {@code DATE} a {@code DATE}, structs pass through), nothing is
 * written anywhere (a read-only input is fine), and each read sees the table as it is then.
 */
sealed interface PromptInput permits PromptInput.LineFiles, PromptInput.Frame {
  /** The input's columns. */
  StructType schema();

  /** The scan that returns {@code output}: the input's columns followed by the results. */
  Scan scan(SourceOptions options, StructType output);

  /**
   * Opens the input named by {@code options}. {@code knownSchema}, when not null, is the input's
   * schema as an earlier look in the same {@code load()} found it, so a CSV input is not inferred again.
   */
  static PromptInput open(SourceOptions options, SparkSession spark, boolean csvHeader, StructType knownSchema) {
    if (options.readsLines()) {
      return LineFiles.plan(options, spark.sparkContext().hadoopConfiguration());
    }
    return Frame.open(options, spark, csvHeader, knownSchema);
  }

  /** JSON Lines or text files, planned into splits of whole lines by estimated tokens. */
  record LineFiles(PromptLines lines, SplitPlanner.Plan plan) implements PromptInput {
    static LineFiles plan(SourceOptions options, Configuration conf) {
      boolean json = options.format().equals("json");
      int maxTokens = options.task().name().equals("generate") ? options.ember().sampling().maxTokens() : 0;
      SplitPlanner.Plan plan = SplitPlanner.plan(options.path(), conf, options.partitionTokens(), maxTokens);
      StructType schema = PromptLines.infer(json, options.ember().promptColumn(), plan.sample());
      return new LineFiles(new PromptLines(json, schema), plan);
    }

    @Override
    public StructType schema() {
      return lines.schema();
    }

    @Override
    public Scan scan(SourceOptions options, StructType output) {
      return new EmberScan(options, lines, output, plan);
    }
  }

  /** Any input Spark reads itself, as a DataFrame; {@code source} names it in messages and plans. */
  record Frame(Dataset<Row> rows, String source) implements PromptInput {
    static Frame open(SourceOptions options, SparkSession spark, boolean csvHeader, StructType knownSchema) {
      DataFrameReader reader = spark.read();
      if (knownSchema != null) {
        reader = reader.schema(knownSchema);
      }
      Dataset<Row> rows = switch (options.format()) {
        case "parquet" -> reader.parquet(options.path());
        case "table" -> spark.table(options.table());
        case "csv" -> reader.option("header", csvHeader).option("inferSchema", "true").csv(options.path());
        default -> throw new IllegalStateException("not a frame input: " + options.format());
      };
      String source = options.input();
      List<String> columns = List.of(rows.columns());
      if (!options.ember().chat().enabled() && !columns.contains(options.ember().promptColumn())) {
        throw new IllegalArgumentException("Ember: prompt column '" + options.ember().promptColumn() + "' is not in "
            + source + "; columns are " + columns + " (set option promptColumn)");
      }
      return new Frame(rows, source);
    }

    @Override
    public StructType schema() {
      return rows.schema();
    }

    @Override
    public Scan scan(SourceOptions options, StructType output) {
      return new FrameScan(options, this, output);
    }
  }
}
