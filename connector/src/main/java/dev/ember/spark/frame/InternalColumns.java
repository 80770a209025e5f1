package dev.ember.spark.frame;

import java.util.List;

import org.apache.spark.sql.types.StructType;

/**
 * Names for the columns Ember adds to a user's Dataset for a while (row order, resume ids). A
 * fixed name could be one of the input's own columns, which would then be overwritten and
 * dropped; the name is therefore the base name, suffixed until no input column has it.
 */
public final class InternalColumns {
  private InternalColumns() {}

  /** {@code base}, or {@code base_1}, {@code base_2}, ...: the first that no field of {@code schema} has (case-insensitively, as Spark resolves). */
  public static String fresh(StructType schema, String base) {
    List<String> taken = java.util.Arrays.stream(schema.fieldNames()).map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
    String name = base;
    for (int i = 1; taken.contains(name.toLowerCase(java.util.Locale.ROOT)); i++) {
      name = base + "_" + i;
    }
    return name;
  }
}
