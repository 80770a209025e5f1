package dev.ember.spark.sql;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import dev.ember.spark.ResultColumns;
import dev.ember.spark.frame.RowRequests;

/** {@code ember_score(text)}: struct of logprob, perplexity, tokens, latency_ms, error. One row at a time. */
final class ScoreFunction implements ScalarFunction<InternalRow> {
  private final FunctionEngine engine;

  ScoreFunction(FunctionEngine engine) {
    this.engine = engine;
  }

  @Override
  public String name() {
    return "ember_score";
  }

  @Override
  public DataType[] inputTypes() {
    return new DataType[] {DataTypes.StringType};
  }

  @Override
  public DataType resultType() {
    return ResultColumns.SCORE;
  }

  @Override
  public boolean isResultNullable() {
    return false;
  }

  @Override
  public InternalRow produceResult(InternalRow input) {
    String text = input.isNullAt(0) ? null : input.getUTF8String(0).toString();
    String problem = RowRequests.checkPrompt(text);
    if (problem != null) {
      return SqlValues.row(ResultColumns.scoreError(problem, 0));
    }
    long start = System.nanoTime();
    try {
      return SqlValues.row(ResultColumns.score(engine.engine().score(text), System.nanoTime() - start));
    } catch (RuntimeException e) {
      return SqlValues.row(ResultColumns.scoreError(String.valueOf(e.getMessage()), System.nanoTime() - start));
    }
  }
}
