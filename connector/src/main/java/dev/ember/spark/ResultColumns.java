package dev.ember.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.ScoreResult;

/**
 * The columns Ember appends to its input, one set per task, and the mapping from engine results
 * to their values. The DataFrame API, the Arrow batches and the job all use these, so every
 * surface returns the same schema. A row that failed has a non-null {@code error}, null text or
 * scores, zero token counts and {@code finish_reason = "error"}.
 */
public final class ResultColumns {
  public static final String TEXT = "text";
  public static final String FINISH_REASON = "finish_reason";
  public static final String PROMPT_TOKENS = "prompt_tokens";
  public static final String CACHED_PROMPT_TOKENS = "cached_prompt_tokens";
  public static final String COMPLETION_TOKENS = "completion_tokens";
  public static final String LOGPROB = "logprob";
  public static final String PERPLEXITY = "perplexity";
  public static final String TOKENS = "tokens";
  public static final String LABEL = "label";
  public static final String LABEL_LOGPROBS = "label_logprobs";
  public static final String LATENCY_MS = "latency_ms";
  public static final String ERROR = "error";

  /** generate: the completion and its accounting. */
  public static final StructType GENERATE =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(TEXT, DataTypes.StringType, true),
            DataTypes.createStructField(FINISH_REASON, DataTypes.StringType, false),
            DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(CACHED_PROMPT_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(COMPLETION_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(LATENCY_MS, DataTypes.DoubleType, false),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true)
          });

  /** score: the text's total natural-log likelihood, its perplexity and the tokens scored. */
  public static final StructType SCORE =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(LOGPROB, DataTypes.DoubleType, true),
            DataTypes.createStructField(PERPLEXITY, DataTypes.DoubleType, true),
            DataTypes.createStructField(TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(LATENCY_MS, DataTypes.DoubleType, false),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true)
          });

  /** classify: the most likely label and the log-likelihood of every label as a continuation. */
  public static final StructType CLASSIFY =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(LABEL, DataTypes.StringType, true),
            DataTypes.createStructField(
                LABEL_LOGPROBS, DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false), true),
            DataTypes.createStructField(LATENCY_MS, DataTypes.DoubleType, false),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true)
          });

  private ResultColumns() {}

  /** The input columns followed by {@code results}; fails if a name would appear twice. */
  public static StructType append(StructType input, StructType results) {
    StructType out = input;
    for (StructField f : results.fields()) {
      for (String existing : input.fieldNames()) {
        if (existing.equalsIgnoreCase(f.name())) {
          throw new IllegalArgumentException(
              "input column '" + existing + "' clashes with Ember's output column '" + f.name()
                  + "'; rename or drop it first");
        }
      }
      out = out.add(f);
    }
    return out;
  }

  /** Values for {@link #GENERATE}. */
  public static Object[] generate(Result r) {
    if (!r.ok()) {
      return generateError(r.error(), r.latencyNanos());
    }
    return new Object[] {
      r.text(),
      r.finishReason().wireName(),
      r.promptTokens(),
      r.cachedPromptTokens(),
      r.completionTokens(),
      millis(r.latencyNanos()),
      null
    };
  }

  public static Object[] generateError(String error, long latencyNanos) {
    return new Object[] {null, FinishReason.ERROR.wireName(), 0, 0, 0, millis(latencyNanos), nonEmpty(error)};
  }

  /** Values for {@link #SCORE}. */
  public static Object[] score(ScoreResult s, long latencyNanos) {
    if (s.error() != null) {
      return scoreError(s.error(), latencyNanos);
    }
    return new Object[] {s.logprob(), s.perplexity(), s.tokens(), millis(latencyNanos), null};
  }

  public static Object[] scoreError(String error, long latencyNanos) {
    return new Object[] {null, null, 0, millis(latencyNanos), nonEmpty(error)};
  }

  /** Values for {@link #CLASSIFY}: the arg-max label, ties going to the earlier label. */
  public static Object[] classify(List<String> labels, double[] logprobs, long latencyNanos) {
    Map<String, Double> byLabel = new LinkedHashMap<>();
    int best = 0;
    for (int i = 0; i < labels.size(); i++) {
      byLabel.put(labels.get(i), logprobs[i]);
      if (logprobs[i] > logprobs[best]) {
        best = i;
      }
    }
    return new Object[] {labels.get(best), byLabel, millis(latencyNanos), null};
  }

  public static Object[] classifyError(String error, long latencyNanos) {
    return new Object[] {null, null, millis(latencyNanos), nonEmpty(error)};
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static String nonEmpty(String error) {
    return error == null || error.isEmpty() ? "unknown error" : error;
  }
}
