package dev.ember.spark.sql;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.frame.EmberOptions;
import dev.ember.spark.frame.ErrorPolicy;
import dev.ember.spark.frame.OptionRegistry;
import dev.ember.spark.frame.RowPipeline;
import dev.ember.spark.frame.RowRequests;
import dev.ember.spark.frame.Task;

/**
 * {@code ember_generate([model,] prompt [, options map])} and {@code ember_score([model,] text)}:
 * the task's result struct ({@code .text}, {@code .finish_reason}, ..., {@code .error}), computed by
 * the same {@link RowPipeline} as every other surface. Options in a literal map were checked on the
 * driver when the query was analysed; a map computed per row is read per row, and a bad entry
 * makes that row's error.
 *
 * <p>Evaluated one row at a time when Spark calls {@link #produceResult}; {@link EmberBatchRule}
 * replaces a projection of these calls with a batch over each partition.
 */
final class TaskFunction implements ScalarFunction<InternalRow> {
  private static final StructType PROMPT = new StructType().add("prompt", DataTypes.StringType);

  private final String name;
  private final Task task;
  private final FunctionEngine engine;
  private final EmberOptions options;
  private final DataType[] inputTypes;
  private final int promptArg;
  private final int mapArg; // -1 when the options are literal (already in options) or absent
  private final RowRequests requests;

  TaskFunction(String name, Task task, FunctionEngine engine, EmberOptions options, DataType[] inputTypes, int promptArg, int mapArg) {
    this.name = name;
    this.task = task;
    this.engine = engine;
    this.options = options;
    this.inputTypes = inputTypes;
    this.promptArg = promptArg;
    this.mapArg = mapArg;
    this.requests = new RowRequests(PROMPT, options);
  }

  Task task() {
    return task;
  }

  FunctionEngine engine() {
    return engine;
  }

  EmberOptions options() {
    return options;
  }

  int promptArg() {
    return promptArg;
  }

  int mapArg() {
    return mapArg;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes;
  }

  @Override
  public DataType resultType() {
    return task.resultType();
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
    String prompt = input.isNullAt(promptArg) ? null : input.getUTF8String(promptArg).toString();
    RowRequests rowRequests;
    try {
      rowRequests = requestsFor(input);
    } catch (IllegalArgumentException e) {
      return SqlValues.row(task.resultType(), task.error(e.getMessage().replaceFirst("^Ember: ", ""), 0));
    }
    var out = RowPipeline.run(
        List.of(RowFactory.create(prompt)).iterator(), (Row r) -> r, engine.engine(), rowRequests, task, 1,
        options.errors(), c -> {});
    return SqlValues.row(task.resultType(), out.next().results());
  }

  /** The requests for a row: the function's, or with the row's own option map applied. */
  RowRequests requestsFor(InternalRow input) {
    if (mapArg < 0 || input.isNullAt(mapArg)) {
      return requests;
    }
    EmberOptions rowOptions =
        OptionRegistry.applySingle(options, map(input.getMap(mapArg)), OptionRegistry.Spelling.SQL, "option", OptionRegistry.SQL_SCOPES);
    rowOptions.validate();
    return new RowRequests(PROMPT, rowOptions);
  }

  static Map<String, String> map(MapData map) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < map.numElements(); i++) {
      String key = map.keyArray().getUTF8String(i).toString();
      if (!map.valueArray().isNullAt(i)) {
        out.put(key, map.valueArray().getUTF8String(i).toString());
      }
    }
    return out;
  }

  static ErrorPolicy errors(EmberOptions o) {
    return o.errors();
  }
}
