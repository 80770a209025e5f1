package dev.ember.spark.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ember.spark.ResultColumns;
import dev.ember.spark.frame.Ember;
import dev.ember.spark.frame.EmberAccumulators;
import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.Task;

/**
 * The generic batch job for {@code spark-submit}: reads prompts, runs generate, score or classify
 * on every executor's shared engine, writes the input columns plus the result struct, logs a
 * progress line every {@code --progress-seconds}, and prints one summary line
 * ({@code EMBER_JOB rows=... tokens_per_s=... status=ok}) computed from the written output, so
 * the model never runs twice. Exit codes: 0 ok, 2 bad arguments or input (one line on stderr),
 * 3 too many rows failed ({@code --max-error-fraction}; a run where every row failed always does)
 * or a row failed under {@code --fail-on-error}.
 *
 * <pre>
 * spark-submit --class dev.ember.spark.job.EmberJob ember-spark-assembly-0.1.0-SNAPSHOT.jar \
 *   --model hdfs:///models/stories260K.gguf --input prompts.jsonl --output out/ --max-tokens 64
 * </pre>
 */
public final class EmberJob {
  private static final Logger LOG = LoggerFactory.getLogger(EmberJob.class);

  private EmberJob() {}

  public static void main(String[] args) {
    JobArgs job;
    try {
      job = JobArgs.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("EmberJob: " + e.getMessage().replaceFirst("^Ember: ", ""));
      System.err.print(JobArgs.USAGE);
      System.exit(2);
      return;
    }
    SparkSession spark = session(job);
    int status = 0;
    try {
      Summary summary = run(spark, job);
      System.out.println(summary.line());
      if (summary.failure() != null) {
        System.err.println("EmberJob: failed: " + summary.failure());
        status = 3;
      }
    } catch (IllegalArgumentException e) {
      // Driver-side checks (model path, options, columns, output): one clear line, not a stack trace.
      System.err.println("EmberJob: " + e.getMessage().replaceFirst("^Ember: ", ""));
      status = 2;
    } catch (RuntimeException e) {
      String rowFailure = rowFailure(e);
      if (rowFailure == null) {
        throw e;
      }
      System.out.println("EMBER_JOB task=" + job.task() + " status=failed");
      System.err.println("EmberJob: " + rowFailure);
      status = 3;
    } finally {
      spark.stop();
    }
    if (status != 0) {
      System.exit(status);
    }
  }

  /** The failOnError message inside a Spark job failure, or null when it is some other failure. */
  static String rowFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      int at = m.indexOf("Ember: row ");
      if (at >= 0) {
        String line = m.substring(at + "Ember: ".length());
        int end = line.indexOf('\n');
        return end < 0 ? line : line.substring(0, end);
      }
    }
    return null;
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
    // Session conf (spark.ember.*, e.g. from spark-defaults.conf) under the flags.
    EmberOptions opts = job.options(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
    boolean exists = outputExists(spark, job.output());
    if (exists && !job.overwrite() && !job.resume()) {
      throw new IllegalArgumentException(
          "output " + job.output() + " already exists; pass --overwrite to replace it or --resume --id-column C to complete it");
    }
    Dataset<Row> input = read(spark, job, opts);
    long skipped = 0;
    if (job.resume() && exists) {
      Dataset<Row> done = readOutput(spark, job, null).select(col(opts.idColumn()).as("__ember_done_id")).distinct();
      long before = input.count();
      input = input.join(done, input.col(opts.idColumn()).equalTo(done.col("__ember_done_id")), "left_anti");
      skipped = before - input.count();
      LOG.info("Ember: --resume: {} rows already in {}, {} to run", skipped, job.output(), before - skipped);
    }
    if (job.partitions() > 0) {
      input = input.repartition(job.partitions());
    }
    Task task = Task.named(job.task(), job.labels());
    EmberAccumulators metrics = EmberAccumulators.register(spark.sparkContext(), task.name());
    Dataset<Row> output = Ember.run(input, task, opts, metrics);
    long total = job.progressSeconds() > 0 ? input.count() : -1;
    ScheduledExecutorService progress = progress(metrics, total, job.progressSeconds());
    long start = System.nanoTime();
    try {
      // The committer's algorithm 2 publishes each task's file when the task commits, so a killed
      // job keeps every finished partition and --resume recomputes only those in flight.
      spark.sparkContext().hadoopConfiguration().set("mapreduce.fileoutputcommitter.algorithm.version", "2");
      SaveMode mode = job.resume() ? SaveMode.Append : job.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists;
      DataFrameWriter<Row> writer = output.write().mode(mode);
      if (job.outputFormat().equals("parquet")) {
        writer.parquet(job.output());
      } else {
        // Keep null fields, so every JSON line carries every field (error: null on success).
        writer.option("ignoreNullFields", "false").json(job.output());
      }
    } finally {
      if (progress != null) {
        progress.shutdownNow();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (progress != null) {
      LOG.info(metrics.progress(total));
    }
    return summarize(spark, job, opts, output.schema(), seconds, skipped, metrics.rows(), metrics.promptTokens() + metrics.completionTokens());
  }

  private static ScheduledExecutorService progress(EmberAccumulators metrics, long total, int seconds) {
    if (seconds <= 0) {
      return null;
    }
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ember-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> LOG.info(metrics.progress(total)), seconds, seconds, TimeUnit.SECONDS);
    return timer;
  }

  private static boolean outputExists(SparkSession spark, String output) {
    try {
      Path path = new Path(output);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return fs.exists(path);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot check output " + output + ": " + e.getMessage(), e);
    }
  }

  private static Dataset<Row> read(SparkSession spark, JobArgs job, EmberOptions opts) {
    DataFrameReader reader = spark.read();
    if (!outputExists(spark, job.input())) {
      throw new IllegalArgumentException("input not found: " + job.input());
    }
    return switch (job.inputFormat()) {
      case "json" -> reader.json(job.input());
      case "parquet" -> reader.parquet(job.input());
      case "csv" -> reader.option("header", "true").option("inferSchema", "true").csv(job.input());
      // One prompt per line; the line becomes the prompt column.
      case "text" -> reader.text(job.input()).withColumnRenamed("value", opts.promptColumn());
      default -> throw new IllegalArgumentException("unknown input format " + job.inputFormat());
    };
  }

  private static Dataset<Row> readOutput(SparkSession spark, JobArgs job, StructType schema) {
    if (job.outputFormat().equals("parquet")) {
      return spark.read().parquet(job.output());
    }
    DataFrameReader reader = spark.read();
    return (schema == null ? reader : reader.schema(schema)).json(job.output());
  }

  private static Summary summarize(
      SparkSession spark, JobArgs job, EmberOptions opts, StructType schema, double seconds, long skipped, long computed,
      long computedTokens) {
    Dataset<Row> written = readOutput(spark, job, schema);
    String p = opts.output().flattened() ? opts.output().flattenPrefix() : opts.output().column() + ".";
    Row totals;
    if (job.task().equals("generate")) {
      totals =
          written
              .agg(
                  count("*"),
                  count(col(p + ResultColumns.ERROR)),
                  sum(col(p + ResultColumns.PROMPT_TOKENS)),
                  sum(col(p + ResultColumns.COMPLETION_TOKENS)),
                  sum(col(p + ResultColumns.CACHED_PROMPT_TOKENS)))
              .first();
    } else {
      totals = written.agg(count("*"), count(col(p + ResultColumns.ERROR))).first();
    }
    long rows = totals.getLong(0);
    long errors = number(totals.get(1));
    long promptTokens = totals.size() > 2 ? number(totals.get(2)) : 0;
    long completionTokens = totals.size() > 3 ? number(totals.get(3)) : 0;
    long cachedTokens = totals.size() > 4 ? number(totals.get(4)) : 0;
    String failure = opts.errors().verdict(rows, errors);
    return new Summary(
        job.task(), spark.sparkContext().master(), rows, errors, promptTokens, cachedTokens, completionTokens, seconds, skipped,
        computed, computedTokens, failure);
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  /**
   * What the job did, as one greppable line. Rows and token counts are the written output's (with
   * --resume: kept rows included); rows/s and tokens/s are this run's ({@code computedRows},
   * {@code computedTokens}, from the accumulators). {@code failure} is why it failed, or null.
   */
  record Summary(
      String task, String master, long rows, long errors, long promptTokens, long cachedPromptTokens, long completionTokens,
      double seconds, long resumedRows, long computedRows, long computedTokens, String failure) {
    /** Share of prompt tokens served from the engines' prefix caches. */
    double prefixHitRate() {
      return promptTokens == 0 ? 0 : (double) cachedPromptTokens / promptTokens;
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "EMBER_JOB task=%s master=%s rows=%d errors=%d prompt_tokens=%d cached_prompt_tokens=%d prefix_hit_rate=%.3f"
              + " completion_tokens=%d seconds=%.3f rows_per_s=%.1f tokens_per_s=%.1f resumed_rows=%d computed_rows=%d status=%s",
          task, master, rows, errors, promptTokens, cachedPromptTokens, prefixHitRate(), completionTokens, seconds,
          seconds > 0 ? computedRows / seconds : 0, seconds > 0 ? computedTokens / seconds : 0,
          resumedRows, computedRows, failure == null ? "ok" : "failed");
    }
  }
}
