package dev.ember.spark.sql;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** {@code ember_tokens(text)}: how many tokens the model's tokenizer makes of the text (BOS included per the model); null for null. */
final class TokensFunction implements ScalarFunction<Integer> {
  private final FunctionEngine engine;

  TokensFunction(FunctionEngine engine) {
    this.engine = engine;
  }

  @Override
  public String name() {
    return "ember_tokens";
  }

  @Override
  public DataType[] inputTypes() {
    return new DataType[] {DataTypes.StringType};
  }

  @Override
  public DataType resultType() {
    return DataTypes.IntegerType;
  }

  @Override
  public Integer produceResult(InternalRow input) {
    return input.isNullAt(0) ? null : engine.engine().tokenize(input.getUTF8String(0).toString()).length;
  }
}
