package dev.ember.spark.frame;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Spark struct ↔ JSON for {@code withOutputSchema}: the JSON Schema a DDL struct's values have
 * (what the engine constrains generation to), and a generated JSON text parsed into that struct's
 * external values (what {@code from_json} would give, but strict: a value of the wrong type or out
 * of range is an error naming its path, never a silent null). Every field is required and
 * non-null, and objects allow no other properties, so the model must fill every column.
 *
 * <p>Types: STRING, TINYINT/SMALLINT/INT/BIGINT (integers within the type's range), FLOAT/DOUBLE/
 * DECIMAL (numbers), BOOLEAN, DATE (a JSON Schema {@code date} string), ARRAY and STRUCT of these.
 * Anything else (MAP, TIMESTAMP, BINARY, ...) fails where the schema is given, naming the field.
 */
final class JsonSchemas {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> DERIVED = new ConcurrentHashMap<>();

  private JsonSchemas() {}

  /** A DDL string ({@code "name STRING, age INT"}) as a struct, or one clear error. */
  static StructType parseDdl(String ddl) {
    StructType struct;
    try {
      struct = StructType.fromDDL(ddl);
    } catch (Exception e) { // Spark's ParseException is a checked exception Scala throws undeclared
      throw new IllegalArgumentException("outputSchema '" + ddl + "' is not a Spark DDL schema (e.g. \"name STRING, age INT\"): "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    if (struct.isEmpty()) {
      throw new IllegalArgumentException("outputSchema '" + ddl + "' has no fields");
    }
    schema(struct, "outputSchema"); // rejects unsupported types up front
    return struct;
  }

  /** The JSON Schema (as text) of a DDL struct's values; cached per DDL string (it is built per request). */
  static String fromDdl(String ddl) {
    String cached = DERIVED.get(ddl);
    return cached != null ? cached : DERIVED.computeIfAbsent(ddl, k -> fromStruct(parseDdl(ddl)));
  }

  /** The JSON Schema (as text) of the struct's values; cached per struct. */
  static String fromStruct(StructType struct) {
    String key = struct.json();
    String cached = DERIVED.get(key);
    return cached != null ? cached : DERIVED.computeIfAbsent(key, k -> schema(struct, "outputSchema").toString());
  }

  private static ObjectNode schema(DataType type, String path) {
    ObjectNode s = JSON.createObjectNode();
    switch (type) {
      case StringType t -> s.put("type", "string");
      case ByteType t -> integer(s, Byte.MIN_VALUE, Byte.MAX_VALUE);
      case ShortType t -> integer(s, Short.MIN_VALUE, Short.MAX_VALUE);
      case IntegerType t -> integer(s, Integer.MIN_VALUE, Integer.MAX_VALUE);
      // Within the engine's 16 integer digits, which a BIGINT holds.
      case LongType t -> s.put("type", "integer");
      case FloatType t -> s.put("type", "number");
      case DoubleType t -> s.put("type", "number");
      case DecimalType t -> s.put("type", "number");
      case BooleanType t -> s.put("type", "boolean");
      case DateType t -> s.put("type", "string").put("format", "date");
      case ArrayType a -> {
        s.put("type", "array");
        s.set("items", schema(a.elementType(), path + "[]"));
      }
      case StructType st -> {
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        ArrayNode required = JSON.createArrayNode();
        for (StructField f : st.fields()) {
          props.set(f.name(), schema(f.dataType(), path + "." + f.name()));
          required.add(f.name());
        }
        s.set("required", required);
        s.put("additionalProperties", false);
      }
      default -> throw new IllegalArgumentException(
          path + " has type " + type.simpleString() + ", which structured output does not support; use STRING, INT, BIGINT, DOUBLE,"
              + " DECIMAL, BOOLEAN, DATE, ARRAY or STRUCT");
    }
    return s;
  }

  private static void integer(ObjectNode s, long min, long max) {
    s.put("type", "integer").put("minimum", min).put("maximum", max);
  }

  /** {@code text} parsed into the struct's external values (a Row); fails naming the first bad path. */
  static Row parse(String text, StructType struct) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException("output is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (node == null) {
      throw new IllegalArgumentException("output is empty");
    }
    return (Row) value(node, struct, "$");
  }

  private static Object value(JsonNode n, DataType type, String path) {
    if (n == null || n.isMissingNode()) {
      throw new IllegalArgumentException(path + " is missing");
    }
    if (n.isNull()) {
      return null;
    }
    return switch (type) {
      case StringType t -> {
        require(n.isTextual(), n, path, "a string");
        yield n.textValue();
      }
      case ByteType t -> (byte) integral(n, path, Byte.MIN_VALUE, Byte.MAX_VALUE);
      case ShortType t -> (short) integral(n, path, Short.MIN_VALUE, Short.MAX_VALUE);
      case IntegerType t -> (int) integral(n, path, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case LongType t -> integral(n, path, Long.MIN_VALUE, Long.MAX_VALUE);
      case FloatType t -> {
        require(n.isNumber(), n, path, "a number");
        yield n.floatValue();
      }
      case DoubleType t -> {
        require(n.isNumber(), n, path, "a number");
        yield n.doubleValue();
      }
      case DecimalType d -> {
        require(n.isNumber(), n, path, "a number");
        BigDecimal v = n.decimalValue().setScale(d.scale(), java.math.RoundingMode.HALF_UP);
        require(v.precision() <= d.precision(), n, path, "a number that fits " + d.simpleString());
        yield v;
      }
      case BooleanType t -> {
        require(n.isBoolean(), n, path, "true or false");
        yield n.booleanValue();
      }
      case DateType t -> {
        require(n.isTextual(), n, path, "a date string");
        try {
          yield java.sql.Date.valueOf(java.time.LocalDate.parse(n.textValue()));
        } catch (java.time.format.DateTimeParseException e) {
          throw new IllegalArgumentException(path + " is not a date (yyyy-mm-dd): " + n);
        }
      }
      case ArrayType a -> {
        require(n.isArray(), n, path, "an array");
        List<Object> out = new ArrayList<>();
        int i = 0;
        for (JsonNode e : n) {
          out.add(value(e, a.elementType(), path + "[" + i++ + "]"));
        }
        yield scala.jdk.javaapi.CollectionConverters.asScala(out).toList();
      }
      case StructType st -> {
        require(n.isObject(), n, path, "an object");
        for (Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
          String name = names.next();
          if (!List.of(st.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(path + " has a property '" + name + "' the schema does not");
          }
        }
        Object[] fields = new Object[st.size()];
        for (int i = 0; i < fields.length; i++) {
          StructField f = st.fields()[i];
          fields[i] = value(n.get(f.name()), f.dataType(), path + "." + f.name());
        }
        yield RowFactory.create(fields);
      }
      default -> throw new IllegalArgumentException(path + ": unsupported type " + type.simpleString());
    };
  }

  private static long integral(JsonNode n, String path, long min, long max) {
    require(n.isIntegralNumber() && n.canConvertToLong(), n, path, "an integer");
    long v = n.longValue();
    require(v >= min && v <= max, n, path, "an integer in [" + min + ", " + max + "]");
    return v;
  }

  private static void require(boolean ok, JsonNode n, String path, String expected) {
    if (!ok) {
      String shown = n.toString();
      throw new IllegalArgumentException(path + " must be " + expected + ", got " + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown));
    }
  }
}
