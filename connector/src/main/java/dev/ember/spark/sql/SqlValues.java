package dev.ember.spark.sql;

import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.CatalystTypeConverters$;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/** Result values (Spark external values, from ResultColumns) to Spark's internal row. */
final class SqlValues {
  private SqlValues() {}

  static InternalRow row(StructType type, Object[] values) {
    return (InternalRow) CatalystTypeConverters$.MODULE$.createToCatalystConverter(type).apply(RowFactory.create(values));
  }
}
