package dev.ember.spark.frame;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;

/**
 * Builds an engine request from a row: the prompt from its column and per-row sampling options
 * from theirs. Column positions and types are resolved once on the driver, where a missing or
 * mistyped column fails the job; a bad value in one row only becomes that row's error.
 */
public final class RowRequests implements Serializable {
  /** A row's request, or why the row has none. */
  public record Prepared(Request request, String error) {
    static Prepared failed(String error) {
      return new Prepared(null, error);
    }
  }

  private final int prompt;
  private final int maxTokens;
  private final int temperature;
  private final int seed;
  private final int stop;
  private final Sampling defaults;

  public RowRequests(StructType schema, EmberOptions options) {
    this.prompt = column(schema, options.promptColumn(), "prompt", true);
    requireType(schema, prompt, "prompt", t -> t instanceof StringType, "a string");
    RowOptionColumns cols = options.rowOptions();
    this.maxTokens = optionColumn(schema, cols.maxTokens(), RowOptionColumns.MAX_TOKENS);
    requireType(schema, maxTokens, RowOptionColumns.MAX_TOKENS, RowRequests::isIntegral, "an integer");
    this.temperature = optionColumn(schema, cols.temperature(), RowOptionColumns.TEMPERATURE);
    requireType(schema, temperature, RowOptionColumns.TEMPERATURE, t -> isIntegral(t) || isFractional(t), "a number");
    this.seed = optionColumn(schema, cols.seed(), RowOptionColumns.SEED);
    requireType(schema, seed, RowOptionColumns.SEED, RowRequests::isIntegral, "an integer");
    this.stop = optionColumn(schema, cols.stop(), RowOptionColumns.STOP);
    requireType(
        schema, stop, RowOptionColumns.STOP,
        t -> t instanceof StringType || (t instanceof ArrayType a && a.elementType() instanceof StringType),
        "a string or an array of strings");
    this.defaults = options.sampling();
  }

  /** The prompt text, or null when the row has none. */
  public String prompt(Row row) {
    return row.isNullAt(prompt) ? null : row.getString(prompt);
  }

  /** Why a prompt cannot be used, or null when it can. */
  public static String checkPrompt(String text) {
    if (text == null) {
      return "prompt is null";
    }
    if (text.isEmpty()) {
      return "prompt is empty";
    }
    return null;
  }

  public Prepared prepare(Row row, String requestId) {
    String text = prompt(row);
    String problem = checkPrompt(text);
    if (problem != null) {
      return Prepared.failed(problem);
    }
    SamplingParams.Builder params = defaults.toBuilder();
    try {
      if (present(row, maxTokens)) {
        params.maxTokens(Math.toIntExact(((Number) row.get(maxTokens)).longValue()));
      }
      if (present(row, temperature)) {
        params.temperature(((Number) row.get(temperature)).floatValue());
      }
      if (present(row, seed)) {
        params.seed(((Number) row.get(seed)).longValue());
      }
      if (present(row, stop)) {
        params.stop(stopStrings(row.get(stop)));
      }
      return new Prepared(Request.ofText(requestId, text, params.build()), null);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return Prepared.failed("invalid options: " + e.getMessage());
    }
  }

  private static boolean present(Row row, int column) {
    return column >= 0 && !row.isNullAt(column);
  }

  private static List<String> stopStrings(Object value) {
    if (value instanceof String s) {
      return List.of(s);
    }
    List<String> out = new ArrayList<>();
    for (Object o : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) value)) {
      if (o == null) {
        throw new IllegalArgumentException("stop strings must not be null");
      }
      out.add((String) o);
    }
    return out;
  }

  private static int optionColumn(StructType schema, String name, String option) {
    if (name == null) {
      return -1;
    }
    boolean required = !RowOptionColumns.isDefaultName(name);
    return column(schema, name, option, required);
  }

  private static int column(StructType schema, String name, String role, boolean required) {
    for (int i = 0; i < schema.size(); i++) {
      if (schema.fields()[i].name().equals(name)) {
        return i;
      }
    }
    if (required) {
      throw new IllegalArgumentException(
          "Ember: " + role + " column '" + name + "' is not in the input; columns are " + List.of(schema.fieldNames()));
    }
    return -1;
  }

  private static void requireType(
      StructType schema, int column, String role, java.util.function.Predicate<DataType> ok, String expected) {
    if (column >= 0 && !ok.test(schema.fields()[column].dataType())) {
      throw new IllegalArgumentException(
          "Ember: " + role + " column '" + schema.fields()[column].name() + "' must be " + expected
              + ", not " + schema.fields()[column].dataType().simpleString());
    }
  }

  private static boolean isIntegral(DataType t) {
    return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType;
  }

  private static boolean isFractional(DataType t) {
    return t instanceof FloatType || t instanceof DoubleType || t instanceof DecimalType;
  }
}
