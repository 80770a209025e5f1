package dev.ember.spark.frame;

import java.io.Serializable;

import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a task's results go in the output: one struct column (default {@code ember}, as Spark ML's
 * {@code outputCol} and {@code ai_query} do), so that input columns named {@code text},
 * {@code label} or {@code error} cannot clash; or, when {@code flattenPrefix} is set, top-level
 * columns named prefix + field ({@code ember_text}, ...). An empty prefix gives the bare field names
 * of earlier versions and is the only layout where a dataset's own {@code text} column can clash.
 *
 * @param column the struct column's name
 * @param flattenPrefix null for the struct column, else the prefix of the flattened columns
 */
public record OutputLayout(String column, String flattenPrefix) implements Serializable {
  public static final String DEFAULT_COLUMN = "ember";

  public static OutputLayout defaults() {
    return new OutputLayout(DEFAULT_COLUMN, null);
  }

  public boolean flattened() {
    return flattenPrefix != null;
  }

  void validate() {
    if (column == null || column.isBlank()) {
      throw new IllegalArgumentException("outputCol must not be empty");
    }
  }

  /** The input's columns followed by the results; fails on the driver if a name would appear twice. */
  public StructType schema(StructType input, StructType results) {
    StructType out = input;
    if (!flattened()) {
      checkFree(input, column, "outputCol");
      return out.add(column, results, false);
    }
    for (StructField f : results.fields()) {
      String name = flattenPrefix + f.name();
      checkFree(input, name, "flattenPrefix");
      out = out.add(name, f.dataType(), f.nullable());
    }
    return out;
  }

  /** The output values for a row: input values, then the result struct (as a Row) or its fields. */
  public Object[] values(Object[] input, Object[] results) {
    if (!flattened()) {
      Object[] out = java.util.Arrays.copyOf(input, input.length + 1);
      out[input.length] = RowFactory.create(results);
      return out;
    }
    Object[] out = java.util.Arrays.copyOf(input, input.length + results.length);
    System.arraycopy(results, 0, out, input.length, results.length);
    return out;
  }

  /** The number of output columns the results take. */
  public int width(StructType results) {
    return flattened() ? results.size() : 1;
  }

  private static void checkFree(StructType input, String name, String option) {
    for (String existing : input.fieldNames()) {
      if (existing.equalsIgnoreCase(name)) {
        throw new IllegalArgumentException(
            "Ember: input column '" + existing + "' clashes with the output column '" + name + "'; set " + option
                + " to another name");
      }
    }
  }
}
