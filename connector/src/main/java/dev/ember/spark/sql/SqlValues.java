package dev.ember.spark.sql;

import java.util.Map;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.unsafe.types.UTF8String;

/** Java result values (from ResultColumns) to Spark's internal representation. */
final class SqlValues {
  private SqlValues() {}

  static InternalRow row(Object[] values) {
    Object[] internal = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      internal[i] = internal(values[i]);
    }
    return new GenericInternalRow(internal);
  }

  private static Object internal(Object v) {
    if (v instanceof String s) {
      return UTF8String.fromString(s);
    }
    if (v instanceof Map<?, ?> m) {
      return ArrayBasedMapData.apply(m, SqlValues::internal, SqlValues::internal);
    }
    return v;
  }
}
