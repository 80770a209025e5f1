package dev.ember.spark.source;

import java.util.Arrays;

import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomSumMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/**
 * Scan-node metrics in the SQL UI. Spark instantiates these classes by name on the driver (and in
 * the History Server), so each needs a public no-argument constructor.
 */
public final class EmberMetrics {
  static final String PROMPT_TOKENS = "promptTokens";
  static final String CACHED_TOKENS = "cachedPromptTokens";
  static final String COMPLETION_TOKENS = "completionTokens";
  static final String ERROR_ROWS = "errorRows";
  static final String ENGINE_MILLIS = "engineMillis";

  private EmberMetrics() {}

  static CustomMetric[] supported() {
    return new CustomMetric[] {
      new PromptTokens(), new CachedPromptTokens(), new CompletionTokens(), new ErrorRows(), new TokensPerSecond()
    };
  }

  record TaskValue(String name, long value) implements CustomTaskMetric {}

  public static final class PromptTokens extends CustomSumMetric {
    @Override
    public String name() {
      return PROMPT_TOKENS;
    }

    @Override
    public String description() {
      return "prompt tokens";
    }
  }

  public static final class CachedPromptTokens extends CustomSumMetric {
    @Override
    public String name() {
      return CACHED_TOKENS;
    }

    @Override
    public String description() {
      return "cached prompt tokens (prefix-cache hits)";
    }
  }

  public static final class CompletionTokens extends CustomSumMetric {
    @Override
    public String name() {
      return COMPLETION_TOKENS;
    }

    @Override
    public String description() {
      return "generated tokens";
    }
  }

  public static final class ErrorRows extends CustomSumMetric {
    @Override
    public String name() {
      return ERROR_ROWS;
    }

    @Override
    public String description() {
      return "rows with an error";
    }
  }

  /**
   * Tokens per second of wall time in the readers, averaged over tasks. The task value is
   * tokens*1000/ms so integer metrics keep the precision; the UI string is formatted here.
   */
  public static final class TokensPerSecond implements CustomMetric {
    @Override
    public String name() {
      return ENGINE_MILLIS;
    }

    @Override
    public String description() {
      return "tokens/s per task (avg)";
    }

    @Override
    public String aggregateTaskMetrics(long[] taskMetrics) {
      double avg = Arrays.stream(taskMetrics).average().orElse(0);
      return String.format(java.util.Locale.ROOT, "%.1f", avg);
    }
  }
}
