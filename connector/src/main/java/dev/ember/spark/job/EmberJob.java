package dev.ember.spark.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;

import java.net.InetAddress;
import java.util.List;
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
import dev.ember.spark.frame.InternalColumns;
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
    try {
      // Before Spark starts: spark-submit passes its conf as spark.* system properties, and the
      // Hadoop conf on the class path names the file systems, so paths and the model are checked
      // in a second instead of after Spark's start-up, and never as a stack trace.
      Map<String, String> conf = new java.util.HashMap<>();
      System.getProperties().forEach((k, v) -> {
        if (String.valueOf(k).startsWith("spark.")) {
          conf.put(String.valueOf(k), String.valueOf(v));
        }
      });
      org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
      conf.forEach((k, v) -> {
        if (k.startsWith("spark.hadoop.")) {
          hadoop.set(k.substring("spark.hadoop.".length()), v); // as Spark builds its Hadoop conf
        }
      });
      preflight(job, job.options(conf), conf, hadoop);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof java.io.IOException) {
        // A file system this JVM cannot reach yet (credentials Spark adds later): run() checks again.
        LOG.warn("Ember: early checks skipped: {}", e.getMessage());
      } else {
        System.err.println("EmberJob: " + e.getMessage().replaceFirst("^Ember: ", ""));
        System.exit(2);
        return;
      }
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
    } catch (Exception e) { // SparkException is checked in Java's eyes
      String rowFailure = rowFailure(e);
      String userError = rowFailure == null ? userError(e) : null;
      if (rowFailure == null && userError == null) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
      System.out.println("EMBER_JOB task=" + job.task() + " status=failed");
      System.err.println("EmberJob: " + (rowFailure != null ? rowFailure : userError));
      status = rowFailure != null ? 3 : 2;
    } finally {
      spark.stop();
    }
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * A user error raised inside a Spark job (on an executor: a model whose copy fails its SHA-256,
   * a cache directory that is a file), as one line; null when the failure is not one. Ember's own
   * messages start with "Ember: "; the engine's exceptions are all user-facing.
   */
  static String userError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m == null) {
        continue;
      }
      int at = m.indexOf("Ember: ");
      if (at >= 0 || t.getClass().getName().startsWith("dev.ember.engine.")) {
        String line = at >= 0 ? m.substring(at + "Ember: ".length()) : m;
        int end = line.indexOf('\n');
        return end < 0 ? line : line.substring(0, end);
      }
    }
    return null;
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

  /**
   * The checks that need no Spark session: the input exists and is not inside the output, the
   * output does not exist (unless --overwrite or --resume), the model opens as the engine would
   * open it (and has the expected SHA-256), and the model cache directory is a directory.
   */
  static void preflight(JobArgs job, EmberOptions opts, Map<String, String> sessionConf, org.apache.hadoop.conf.Configuration conf) {
    Path input = qualified(job.input(), conf);
    Path output = qualified(job.output(), conf);
    if (!exists(input, conf)) {
      throw new IllegalArgumentException("input not found: " + job.input());
    }
    String in = input.toUri().getPath();
    String out = output.toUri().getPath();
    boolean sameFs = java.util.Objects.equals(input.toUri().getScheme(), output.toUri().getScheme())
        && java.util.Objects.equals(input.toUri().getAuthority(), output.toUri().getAuthority());
    if (sameFs && (in.equals(out) || in.startsWith(out.endsWith("/") ? out : out + "/"))) {
      throw new IllegalArgumentException(
          "input " + job.input() + " is inside the output directory " + job.output()
              + "; --overwrite would delete it: write the output somewhere else");
    }
    checkFormat(job, input, conf);
    if (exists(output, conf) && !job.overwrite() && !job.resume()) {
      throw new IllegalArgumentException(
          "output " + job.output() + " already exists; pass --overwrite to replace it or --resume --id-column C to complete it");
    }
    dev.ember.spark.executor.ModelCache.checkRoot(
        sessionConf.getOrDefault("spark.ember.model.cacheDir", System.getProperty(dev.ember.spark.executor.ModelCache.CACHE_DIR_PROPERTY)));
    dev.ember.spark.frame.ModelPreflight.check(opts.model(), opts.modelSha256(), conf);
  }

  /**
   * A Parquet file read as text or JSON (or the reverse) would fail inside Spark with a stack trace
   * or turn every line into an error row: the first data file's first bytes tell, before Spark starts.
   */
  private static void checkFormat(JobArgs job, Path input, org.apache.hadoop.conf.Configuration conf) {
    try {
      FileSystem fs = input.getFileSystem(conf);
      org.apache.hadoop.fs.FileStatus first = null;
      for (org.apache.hadoop.fs.FileStatus match : fs.globStatus(input)) {
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(match.getPath(), true);
        while (first == null && files.hasNext()) {
          org.apache.hadoop.fs.LocatedFileStatus f = files.next();
          String name = f.getPath().getName();
          if (!name.startsWith("_") && !name.startsWith(".") && f.getLen() > 0) {
            first = f;
          }
        }
        if (first != null) {
          break;
        }
      }
      if (first == null) {
        return; // nothing to sniff: an empty input, reported as such
      }
      byte[] magic = new byte[4];
      int n;
      try (java.io.InputStream in = fs.open(first.getPath())) {
        n = in.readNBytes(magic, 0, 4);
      }
      boolean parquet = n == 4 && java.util.Arrays.equals(magic, "PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      if (job.inputFormat().equals("parquet") && !parquet) {
        throw new IllegalArgumentException(
            "input " + first.getPath() + " is not a Parquet file (no PAR1 magic); check --input-format (json, text, csv)");
      }
      if (!job.inputFormat().equals("parquet") && parquet) {
        throw new IllegalArgumentException(
            "input " + first.getPath() + " is a Parquet file, not " + job.inputFormat() + "; pass --input-format parquet");
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read input " + job.input() + ": " + e.getMessage(), e);
    }
  }

  private static Path qualified(String path, org.apache.hadoop.conf.Configuration conf) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).makeQualified(p);
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot use path " + path + ": " + e.getMessage(), e);
    }
  }

  /** Whether a path (or a glob) names anything. */
  private static boolean exists(Path path, org.apache.hadoop.conf.Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      org.apache.hadoop.fs.FileStatus[] matches = fs.globStatus(path);
      return matches != null && matches.length > 0;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot check " + path + ": " + e.getMessage(), e);
    }
  }

  /** Runs the job on an existing session and returns its summary. */
  static Summary run(SparkSession spark, JobArgs job) {
    // Session conf (spark.ember.*, e.g. from spark-defaults.conf) under the flags.
    Map<String, String> sessionConf = scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll());
    EmberOptions opts = job.options(sessionConf);
    org.apache.hadoop.conf.Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    preflight(job, opts, sessionConf, hadoopConf);
    boolean exists = exists(qualified(job.output(), hadoopConf), hadoopConf);
    Task task = Task.named(job.task(), job.labels());
    Dataset<Row> input = read(spark, job, opts);
    long inputRows = input.count();
    if (inputRows == 0) {
      LOG.warn("Ember: input {} is empty; writing an empty output", job.input());
      System.err.println("EmberJob: input " + job.input() + " is empty (no rows); wrote an empty output to " + job.output());
      StructType schema = input.schema();
      if (!List.of(schema.fieldNames()).contains(opts.promptColumn())) {
        schema = schema.add(opts.promptColumn(), org.apache.spark.sql.types.DataTypes.StringType);
      }
      input = spark.createDataFrame(List.<Row>of(), schema);
    }
    long skipped = 0;
    if (job.resume() && exists) {
      String done = InternalColumns.fresh(input.schema(), "__ember_done_id");
      Dataset<Row> ids = readOutput(spark, job, null).select(col(opts.idColumn()).as(done)).distinct();
      input = input.join(ids, input.col(opts.idColumn()).equalTo(ids.col(done)), "left_anti");
      skipped = inputRows - input.count();
      LOG.info("Ember: --resume: {} rows already in {}, {} to run", skipped, job.output(), inputRows - skipped);
    }
    if (job.partitions() > 0) {
      input = input.repartition(job.partitions());
    }
    EmberAccumulators metrics = EmberAccumulators.register(spark.sparkContext(), task.name());
    Dataset<Row> output = Ember.run(input, task, opts, metrics);
    long total = inputRows - skipped;
    ScheduledExecutorService progress = progress(metrics, total, job.progressSeconds());
    long start = System.nanoTime();
    try {
      // The committer's algorithm 2 publishes each task's file when the task commits, so a killed
      // job keeps every finished partition and --resume recomputes only those in flight.
      hadoopConf.set("mapreduce.fileoutputcommitter.algorithm.version", "2");
      SaveMode mode = job.resume() ? SaveMode.Append : job.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists;
      DataFrameWriter<Row> writer = output.write().mode(mode);
      if (job.outputFormat().equals("parquet")) {
        writer.parquet(job.output());
      } else {
        // Keep null fields, so every JSON line carries every field (error: null on success).
        writer.option("ignoreNullFields", "false").json(job.output());
      }
    } catch (Throwable e) {
      removeIfNoData(job.output(), hadoopConf);
      throw e; // rethrown as is (SparkException included)
    } finally {
      if (progress != null) {
        progress.shutdownNow();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (progress != null) {
      LOG.info(metrics.progress(total));
    }
    return summarize(spark, job, opts, output.schema(), seconds, inputRows, skipped, metrics.rows(),
        metrics.promptTokens() + metrics.completionTokens());
  }

  /**
   * After a failed write: an output directory without a single data file (only Spark's
   * {@code _temporary}, or nothing) is removed, so that it does not block the rerun. One with
   * data files is kept for --resume.
   */
  static void removeIfNoData(String output, org.apache.hadoop.conf.Configuration conf) {
    try {
      Path path = new Path(output);
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) {
        return;
      }
      for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(path)) {
        String name = f.getPath().getName();
        if (f.isFile() && name.startsWith("part-")) {
          return;
        }
      }
      fs.delete(path, true);
      LOG.info("Ember: removed {}, which the failed job left without data", output);
    } catch (java.io.IOException e) {
      LOG.warn("Ember: could not remove the empty output {}: {}", output, e.toString());
    }
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

  /**
   * The input as rows. JSON lines go through {@link JsonLinesInput} (malformed lines, duplicate
   * keys and non-string prompts become error rows); CSV is read as RFC 4180 (quoted fields may hold
   * newlines and doubled quotes); a file the format cannot read is one line naming --input-format.
   */
  private static Dataset<Row> read(SparkSession spark, JobArgs job, EmberOptions opts) {
    DataFrameReader reader = spark.read();
    try {
      return switch (job.inputFormat()) {
        case "json" -> JsonLinesInput.read(spark, job.input(), opts);
        case "parquet" -> reader.parquet(job.input());
        case "csv" ->
            reader.option("header", "true").option("inferSchema", "true")
                .option("multiLine", "true").option("escape", "\"").csv(job.input());
        // One prompt per line; the line becomes the prompt column.
        case "text" -> reader.text(job.input()).withColumnRenamed("value", opts.promptColumn());
        default -> throw new IllegalArgumentException("unknown input format " + job.inputFormat());
      };
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) { // Spark's exceptions are checked in Java's eyes
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String why = String.valueOf(root.getMessage());
      int end = why.indexOf('\n');
      throw new IllegalArgumentException(
          "cannot read input " + job.input() + " as " + job.inputFormat() + " (" + (end < 0 ? why : why.substring(0, end))
              + "); check --input-format", e);
    }
  }

  private static Dataset<Row> readOutput(SparkSession spark, JobArgs job, StructType schema) {
    if (job.outputFormat().equals("parquet")) {
      return spark.read().parquet(job.output());
    }
    DataFrameReader reader = spark.read();
    return (schema == null ? reader : reader.schema(schema)).json(job.output());
  }

  private static Summary summarize(
      SparkSession spark, JobArgs job, EmberOptions opts, StructType schema, double seconds, long inputRows, long skipped,
      long computed, long computedTokens) {
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
    // Rows in must be rows out: a reader that split or merged lines, or a lost partition, fails
    // the job instead of passing silently. With --resume the output also holds the earlier rows.
    if (job.resume() ? rows < inputRows : rows != inputRows) {
      failure = "the input has " + inputRows + " rows but the output " + rows + (failure != null ? "; " + failure : "");
    }
    return new Summary(
        job.task(), spark.sparkContext().master(), inputRows, rows, errors, promptTokens, cachedTokens, completionTokens, seconds,
        skipped, computed, computedTokens, failure);
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
      String task, String master, long inputRows, long rows, long errors, long promptTokens, long cachedPromptTokens, long completionTokens,
      double seconds, long resumedRows, long computedRows, long computedTokens, String failure) {
    /** Share of prompt tokens served from the engines' prefix caches. */
    double prefixHitRate() {
      return promptTokens == 0 ? 0 : (double) cachedPromptTokens / promptTokens;
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "EMBER_JOB task=%s master=%s rows=%d errors=%d input_rows=%d prompt_tokens=%d cached_prompt_tokens=%d prefix_hit_rate=%.3f"
              + " completion_tokens=%d seconds=%.3f rows_per_s=%.1f tokens_per_s=%.1f resumed_rows=%d computed_rows=%d status=%s",
          task, master, rows, errors, inputRows, promptTokens, cachedPromptTokens, prefixHitRate(), completionTokens, seconds,
          seconds > 0 ? computedRows / seconds : 0, seconds > 0 ? computedTokens / seconds : 0,
          resumedRows, computedRows, failure == null ? "ok" : "failed");
    }
  }
}
