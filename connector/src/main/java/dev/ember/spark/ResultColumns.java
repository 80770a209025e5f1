package dev.ember.spark;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.api.TokenLogprob;

/**
 * The fields of each task's result struct and the mapping from engine results to their values
 * (Spark external values: Rows, scala Seqs and Maps). Every surface uses these, so every surface
 * returns the same schema; {@code frame.OutputLayout} decides where the struct goes. A row that failed has a non-null {@code error}, null text or
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
  public static final String LOGPROBS = "logprobs";
  public static final String TOP_LOGPROBS = "top_logprobs";
  public static final String TOKEN = "token";
  public static final String LATENCY_MS = "latency_ms";
  public static final String ERROR = "error";

  /** One generated token's log-prob and its top alternatives, as OpenAI's {@code logprobs.content}. */
  public static final StructType TOKEN_LOGPROB =
      new StructType()
          .add(TOKEN, DataTypes.StringType, true)
          .add(LOGPROB, DataTypes.DoubleType, false)
          .add(TOP_LOGPROBS, DataTypes.createArrayType(
              new StructType().add(TOKEN, DataTypes.StringType, true).add(LOGPROB, DataTypes.DoubleType, false), false), true);

  /** generate: the completion and its accounting; {@code logprobs} is null unless asked for. */
  public static final StructType GENERATE =
      new StructType(
          new StructField[] {
            DataTypes.createStructField(TEXT, DataTypes.StringType, true),
            DataTypes.createStructField(FINISH_REASON, DataTypes.StringType, false),
            DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(CACHED_PROMPT_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(COMPLETION_TOKENS, DataTypes.IntegerType, false),
            DataTypes.createStructField(LOGPROBS, DataTypes.createArrayType(TOKEN_LOGPROB, false), true),
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

  /** Values for {@link #GENERATE}. */
  public static Object[] generate(Result r) {
    if (!r.ok() && r.finishReason() == FinishReason.ERROR) {
      return generateError(r.error(), r.latencyNanos());
    }
    // A constrained output cut short by max tokens keeps its text and finish reason (length) and
    // carries the engine's "incomplete" error.
    return new Object[] {
      r.text(),
      r.finishReason().wireName(),
      r.promptTokens(),
      r.cachedPromptTokens(),
      r.completionTokens(),
      logprobs(r.logprobs()),
      millis(r.latencyNanos()),
      r.error()
    };
  }

  public static Object[] generateError(String error, long latencyNanos) {
    return new Object[] {null, FinishReason.ERROR.wireName(), 0, 0, 0, null, millis(latencyNanos), nonEmpty(error)};
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
    scala.collection.mutable.LinkedHashMap<String, Double> byLabel = new scala.collection.mutable.LinkedHashMap<>();
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

  /** Per-token log-probs as Spark values (a Seq of Rows), or null when the request asked for none. */
  static Object logprobs(List<TokenLogprob> tokens) {
    if (tokens == null) {
      return null;
    }
    List<Row> out = new ArrayList<>(tokens.size());
    for (TokenLogprob t : tokens) {
      List<Row> top = new ArrayList<>();
      if (t.top() != null) {
        for (TokenLogprob.Alternative a : t.top()) {
          top.add(RowFactory.create(a.token(), (double) a.logprob()));
        }
      }
      out.add(RowFactory.create(t.token(), (double) t.logprob(), seq(top)));
    }
    return seq(out);
  }

  private static <T> scala.collection.immutable.Seq<T> seq(List<T> list) {
    return scala.jdk.javaapi.CollectionConverters.asScala(list).toList();
  }

  /** The index of the {@code error} field in a task's result struct. */
  public static int errorIndex(StructType results) {
    return results.fieldIndex(ERROR);
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static String nonEmpty(String error) {
    return error == null || error.isEmpty() ? "unknown error" : error;
  }
}
