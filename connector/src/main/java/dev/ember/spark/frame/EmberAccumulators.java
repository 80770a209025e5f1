package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.Locale;
import java.util.function.Consumer;

import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Live counters of a run, as named accumulators: the Spark UI shows them on each stage while tasks
 * run (they travel with executor heartbeats), and the job's progress line reads them on the driver.
 * Every surface that runs rows through {@link RowPipeline} counts into one of these.
 */
public final class EmberAccumulators implements Consumer<Task.RowCounts>, Serializable {
  private final LongAccumulator rows;
  private final LongAccumulator errors;
  private final LongAccumulator promptTokens;
  private final LongAccumulator cachedPromptTokens;
  private final LongAccumulator completionTokens;
  private final long startNanos = System.nanoTime();

  private EmberAccumulators(SparkContext sc, String task) {
    String p = "ember " + task + " ";
    this.rows = sc.longAccumulator(p + "rows");
    this.errors = sc.longAccumulator(p + "errors");
    this.promptTokens = sc.longAccumulator(p + "prompt tokens");
    this.cachedPromptTokens = sc.longAccumulator(p + "cached prompt tokens");
    this.completionTokens = sc.longAccumulator(p + "generated tokens");
  }

  /** Registers a fresh set on the driver. */
  public static EmberAccumulators register(SparkContext sc, String task) {
    return new EmberAccumulators(sc, task);
  }

  @Override
  public void accept(Task.RowCounts c) {
    rows.add(1);
    if (c.error()) {
      errors.add(1);
    }
    promptTokens.add(c.promptTokens());
    cachedPromptTokens.add(c.cachedPromptTokens());
    completionTokens.add(c.completionTokens());
  }

  public long rows() {
    return rows.value();
  }

  public long errors() {
    return errors.value();
  }

  public long promptTokens() {
    return promptTokens.value();
  }

  public long cachedPromptTokens() {
    return cachedPromptTokens.value();
  }

  public long completionTokens() {
    return completionTokens.value();
  }

  /**
   * One progress line: rows done (of {@code total} when known, else -1), tokens/s since the run
   * began (prompt tokens computed plus generated tokens) and the ETA.
   */
  public String progress(long total) {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    long done = rows();
    double tokensPerSecond = (promptTokens() - cachedPromptTokens() + completionTokens()) / seconds;
    double rowsPerSecond = done / seconds;
    String eta = total > 0 && done > 0 ? String.format(Locale.ROOT, "%.0fs", Math.max(0, total - done) / rowsPerSecond) : "?";
    return String.format(
        Locale.ROOT, "EMBER_PROGRESS rows=%d/%s errors=%d tokens_per_s=%.1f rows_per_s=%.2f eta=%s",
        done, total >= 0 ? Long.toString(total) : "?", errors(), tokensPerSecond, rowsPerSecond, eta);
  }
}
