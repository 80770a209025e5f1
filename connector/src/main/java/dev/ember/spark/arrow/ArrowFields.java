package dev.ember.spark.arrow;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Spark SQL types to Arrow fields, matching what {@code ArrowColumnVector} reads back. Spark's
 * own mapping ({@code ArrowUtils}) is {@code private[sql]} and changed signature between 3.x and
 * 4.x, so the connector keeps this small map itself.
 */
final class ArrowFields {
  /** Spark stores timestamps as UTC microseconds; the zone only tags the Arrow type. */
  static final String UTC = "UTC";

  private ArrowFields() {}

  static Schema schema(StructType schema) {
    List<Field> fields = new ArrayList<>();
    for (StructField f : schema.fields()) {
      fields.add(field(f.name(), f.dataType(), f.nullable()));
    }
    return new Schema(fields);
  }

  static Field field(String name, DataType type, boolean nullable) {
    if (type instanceof ArrayType array) {
      return new Field(
          name,
          new FieldType(nullable, ArrowType.List.INSTANCE, null),
          List.of(field("element", array.elementType(), array.containsNull())));
    }
    if (type instanceof MapType map) {
      Field entries =
          new Field(
              "entries",
              new FieldType(false, ArrowType.Struct.INSTANCE, null),
              List.of(field("key", map.keyType(), false), field("value", map.valueType(), map.valueContainsNull())));
      return new Field(name, new FieldType(nullable, new ArrowType.Map(false), null), List.of(entries));
    }
    if (type instanceof StructType struct) {
      List<Field> children = new ArrayList<>();
      for (StructField f : struct.fields()) {
        children.add(field(f.name(), f.dataType(), f.nullable()));
      }
      return new Field(name, new FieldType(nullable, ArrowType.Struct.INSTANCE, null), children);
    }
    return new Field(name, new FieldType(nullable, primitive(type), null), List.of());
  }

  private static ArrowType primitive(DataType type) {
    if (type instanceof StringType) {
      return ArrowType.Utf8.INSTANCE;
    } else if (type instanceof IntegerType) {
      return new ArrowType.Int(32, true);
    } else if (type instanceof LongType) {
      return new ArrowType.Int(64, true);
    } else if (type instanceof ShortType) {
      return new ArrowType.Int(16, true);
    } else if (type instanceof ByteType) {
      return new ArrowType.Int(8, true);
    } else if (type instanceof BooleanType) {
      return ArrowType.Bool.INSTANCE;
    } else if (type instanceof FloatType) {
      return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    } else if (type instanceof DoubleType) {
      return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
    } else if (type instanceof BinaryType) {
      return ArrowType.Binary.INSTANCE;
    } else if (type instanceof DateType) {
      return new ArrowType.Date(DateUnit.DAY);
    } else if (type instanceof TimestampType) {
      return new ArrowType.Timestamp(TimeUnit.MICROSECOND, UTC);
    } else if (type instanceof TimestampNTZType) {
      return new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
    } else if (type instanceof DecimalType decimal) {
      return new ArrowType.Decimal(decimal.precision(), decimal.scale(), 128);
    }
    throw new IllegalArgumentException("Ember cannot carry column type " + type.simpleString() + " in Arrow batches");
  }
}
