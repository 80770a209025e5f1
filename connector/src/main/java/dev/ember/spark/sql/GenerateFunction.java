package dev.ember.spark.sql;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import dev.ember.engine.api.Request;
import dev.ember.engine.api.SamplingParams;
import dev.ember.spark.ResultColumns;
import dev.ember.spark.frame.RowRequests;
import dev.ember.spark.frame.Sampling;

/**
 * {@code ember_generate(prompt [, options map<string,string>])}: the completion as a struct with
 * the generate result columns ({@code .text}, {@code .finish_reason}, ..., {@code .error}).
 * Options: max_tokens, temperature, top_k, top_p, seed, stop. Runs one row at a time: each row
 * waits for its own completion, so concurrency comes only from concurrent tasks; prefer
 * {@code Ember.generate} for large jobs.
 */
final class GenerateFunction implements ScalarFunction<InternalRow> {
  private final FunctionEngine engine;
  private final Sampling defaults;
  private final boolean withOptions;

  GenerateFunction(FunctionEngine engine, Sampling defaults, boolean withOptions) {
    this.engine = engine;
    this.defaults = defaults;
    this.withOptions = withOptions;
  }

  @Override
  public String name() {
    return "ember_generate";
  }

  @Override
  public DataType[] inputTypes() {
    return withOptions
        ? new DataType[] {DataTypes.StringType, DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType)}
        : new DataType[] {DataTypes.StringType};
  }

  @Override
  public DataType resultType() {
    return ResultColumns.GENERATE;
  }

  @Override
  public boolean isResultNullable() {
    return false;
  }

  /** Sampling may depend on seeds and the model is costly: never let the optimizer duplicate a call. */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  @Override
  public InternalRow produceResult(InternalRow input) {
    String prompt = input.isNullAt(0) ? null : input.getUTF8String(0).toString();
    String problem = RowRequests.checkPrompt(prompt);
    if (problem != null) {
      return SqlValues.row(ResultColumns.generateError(problem, 0));
    }
    SamplingParams params;
    try {
      params = options(withOptions && !input.isNullAt(1) ? input.getMap(1) : null);
    } catch (IllegalArgumentException e) {
      return SqlValues.row(ResultColumns.generateError("invalid options: " + e.getMessage(), 0));
    }
    try {
      return SqlValues.row(ResultColumns.generate(engine.engine().submit(Request.ofText("sql", prompt, params)).join()));
    } catch (RuntimeException e) {
      return SqlValues.row(ResultColumns.generateError(String.valueOf(e.getMessage()), 0));
    }
  }

  private SamplingParams options(MapData map) {
    SamplingParams.Builder b = defaults.toBuilder();
    if (map != null) {
      List<String> stop = new ArrayList<>();
      for (int i = 0; i < map.numElements(); i++) {
        String key = map.keyArray().getUTF8String(i).toString();
        String value = map.valueArray().isNullAt(i) ? null : map.valueArray().getUTF8String(i).toString();
        if (value == null) {
          continue;
        }
        try {
          switch (key) {
            case "max_tokens" -> b.maxTokens(Integer.parseInt(value.trim()));
            case "temperature" -> b.temperature(Float.parseFloat(value.trim()));
            case "top_k" -> b.topK(Integer.parseInt(value.trim()));
            case "top_p" -> b.topP(Float.parseFloat(value.trim()));
            case "seed" -> b.seed(Long.parseLong(value.trim()));
            case "stop" -> stop.add(value);
            default -> throw new IllegalArgumentException("unknown option '" + key + "'");
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(key + " is not a number: " + value);
        }
      }
      if (!stop.isEmpty()) {
        b.stop(stop);
      }
    }
    return b.build();
  }
}
