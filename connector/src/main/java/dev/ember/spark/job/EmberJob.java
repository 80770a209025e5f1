package dev.ember.spark.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.net.InetAddress;
import java.util.Locale;

import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import dev.ember.spark.ResultColumns;
import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberOptions;

/**
 * The generic batch job for {@code spark-submit}: reads prompts, runs generate, score or classify
 * on every executor's shared engine, writes the input columns plus the result columns, and prints
 * one summary line ({@code EMBER_JOB rows=... tokens_per_s=...}) computed from the written output,
 * so the model never runs twice.
 *
 * <pre>
 * spark-submit --class dev.ember.spark.job.EmberJob ember-connector.jar \
 *   --model hdfs:///models/stories260K.gguf --input prompts.jsonl --output out/ --max-tokens 64
 * </pre>
 */
public final class EmberJob {
  private static final String ROW_ORDER = "__ember_row_order";

  private EmberJob() {}

  public static void main(String[] args) {
    JobArgs job;
    try {
      job = JobArgs.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("EmberJob: " + e.getMessage());
      System.err.print(JobArgs.USAGE);
      System.exit(2);
      return;
    }
    SparkSession spark = session(job);
    int status = 0;
    try {
      System.out.println(run(spark, job).line());
    } catch (IllegalArgumentException e) {
      // Driver-side checks (model path, options, columns): one clear line, not a stack trace.
      System.err.println("EmberJob: " + e.getMessage());
      status = 2;
    } finally {
      spark.stop();
    }
    if (status != 0) {
      System.exit(status);
    }
  }

  static SparkSession session(JobArgs job) {
    SparkSession.Builder builder = SparkSession.builder().appName("ember-" + job.task());
    if (job.master() != null) {
      builder.master(job.master());
    } else if (System.getProperty("spark.master") == null) {
      // Not under spark-submit (which sets spark.master) and no --master: run locally.
      builder.master("local[2]");
    }
    String master = job.master() != null ? job.master() : System.getProperty("spark.master", "local[2]");
    if (master.startsWith("local") && System.getProperty("spark.driver.host") == null) {
      builder.config("spark.driver.host", InetAddress.getLoopbackAddress().getHostAddress());
    }
    return builder.getOrCreate();
  }

  /** Runs the job on an existing session and returns its summary. */
  static Summary run(SparkSession spark, JobArgs job) {
    Dataset<Row> input = read(spark, job);
    if (job.partitions() > 0) {
      input = input.repartition(job.partitions());
    } else {
      // A prompt file below the split size reads as one partition, which would put the whole job
      // on one executor; spread it over every core of the cluster at least. Split it into
      // contiguous ranges rather than round-robin, so neighbouring prompts (which often share a
      // prefix) stay together for the engines' prefix caches.
      int cores = spark.sparkContext().defaultParallelism();
      if (input.rdd().getNumPartitions() < cores) {
        input =
            input
                .withColumn(ROW_ORDER, org.apache.spark.sql.functions.monotonically_increasing_id())
                .repartitionByRange(cores, col(ROW_ORDER))
                .sortWithinPartitions(ROW_ORDER)
                .drop(ROW_ORDER);
      }
    }
    EmberOptions opts = job.options();
    Dataset<Row> output =
        switch (job.task()) {
          case "generate" -> Ember.generate(input, opts);
          case "score" -> Ember.score(input, opts);
          case "classify" -> Ember.classify(input, job.labels(), opts);
          default -> throw new IllegalArgumentException("unknown task " + job.task());
        };
    long start = System.nanoTime();
    DataFrameWriter<Row> writer = output.write().mode(job.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
    if (job.outputFormat().equals("parquet")) {
      writer.parquet(job.output());
    } else {
      // Keep null fields, so every JSON line carries every column (error: null on success).
      writer.option("ignoreNullFields", "false").json(job.output());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return summarize(spark, job, output.schema(), seconds);
  }

  private static Dataset<Row> read(SparkSession spark, JobArgs job) {
    DataFrameReader reader = spark.read();
    return switch (job.inputFormat()) {
      case "json" -> reader.json(job.input());
      case "parquet" -> reader.parquet(job.input());
      case "csv" -> reader.option("header", "true").option("inferSchema", "true").csv(job.input());
      // One prompt per line; the line becomes the prompt column.
      case "text" -> reader.text(job.input()).withColumnRenamed("value", job.options().promptColumn());
      default -> throw new IllegalArgumentException("unknown input format " + job.inputFormat());
    };
  }

  private static Summary summarize(SparkSession spark, JobArgs job, org.apache.spark.sql.types.StructType schema, double seconds) {
    Dataset<Row> written =
        job.outputFormat().equals("parquet")
            ? spark.read().parquet(job.output())
            : spark.read().schema(schema).json(job.output());
    Row totals;
    if (job.task().equals("generate")) {
      totals =
          written
              .agg(
                  count("*"),
                  sum(when(col(ResultColumns.ERROR).isNotNull(), 1).otherwise(0)),
                  sum(col(ResultColumns.PROMPT_TOKENS)),
                  sum(col(ResultColumns.COMPLETION_TOKENS)),
                  sum(col(ResultColumns.CACHED_PROMPT_TOKENS)))
              .first();
    } else {
      totals = written.agg(count("*"), sum(when(col(ResultColumns.ERROR).isNotNull(), 1).otherwise(0))).first();
    }
    long promptTokens = totals.size() > 2 ? number(totals.get(2)) : 0;
    long completionTokens = totals.size() > 3 ? number(totals.get(3)) : 0;
    long cachedTokens = totals.size() > 4 ? number(totals.get(4)) : 0;
    return new Summary(
        job.task(), spark.sparkContext().master(), totals.getLong(0), number(totals.get(1)), promptTokens, cachedTokens,
        completionTokens, seconds);
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  /** What the job did, as one greppable line. */
  record Summary(
      String task, String master, long rows, long errors, long promptTokens, long cachedPromptTokens, long completionTokens,
      double seconds) {
    /** Share of prompt tokens served from the engines' prefix caches. */
    double prefixHitRate() {
      return promptTokens == 0 ? 0 : (double) cachedPromptTokens / promptTokens;
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "EMBER_JOB task=%s master=%s rows=%d errors=%d prompt_tokens=%d cached_prompt_tokens=%d prefix_hit_rate=%.3f"
              + " completion_tokens=%d seconds=%.3f rows_per_s=%.1f tokens_per_s=%.1f",
          task, master, rows, errors, promptTokens, cachedPromptTokens, prefixHitRate(), completionTokens, seconds,
          seconds > 0 ? rows / seconds : 0, seconds > 0 ? (promptTokens + completionTokens) / seconds : 0);
    }
  }
}
