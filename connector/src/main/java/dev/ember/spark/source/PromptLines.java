package dev.ember.spark.source;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * One prompt per line: JSON Lines (one object per line; its fields become columns) or plain text
 * (the line is the prompt). A line that does not parse becomes a row whose columns are null, so
 * its {@code error} says the prompt is missing and the job goes on.
 */
final class PromptLines implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int INFER_LINES = 1000;

  private final boolean json;
  private final StructType schema;

  PromptLines(boolean json, StructType schema) {
    this.json = json;
    this.schema = schema;
  }

  StructType schema() {
    return schema;
  }

  boolean json() {
    return json;
  }

  /** The input schema: for JSON, the fields of the first lines, typed long, double, boolean or string. */
  static StructType infer(boolean json, String promptColumn, List<String> firstLines) {
    if (!json) {
      return new StructType().add(promptColumn, DataTypes.StringType);
    }
    Map<String, DataType> fields = new LinkedHashMap<>();
    for (String line : firstLines.subList(0, Math.min(INFER_LINES, firstLines.size()))) {
      JsonNode node = parse(line);
      if (node == null) {
        continue;
      }
      node.fields().forEachRemaining(e -> fields.merge(e.getKey(), typeOf(e.getValue()), PromptLines::widen));
    }
    fields.putIfAbsent(promptColumn, DataTypes.StringType);
    StructType schema = new StructType();
    for (var e : fields.entrySet()) {
      schema = schema.add(e.getKey(), e.getValue() == DataTypes.NullType ? DataTypes.StringType : e.getValue());
    }
    return schema;
  }

  /** The row's values in schema order. */
  Object[] values(String line) {
    if (!json) {
      return new Object[] {line};
    }
    Object[] values = new Object[schema.size()];
    JsonNode node = parse(line);
    if (node == null) {
      return values;
    }
    for (int i = 0; i < values.length; i++) {
      JsonNode v = node.get(schema.fields()[i].name());
      values[i] = v == null || v.isNull() ? null : convert(v, schema.fields()[i].dataType());
    }
    return values;
  }

  private static Object convert(JsonNode v, DataType type) {
    if (type == DataTypes.LongType) {
      return v.canConvertToLong() ? v.asLong() : null;
    } else if (type == DataTypes.DoubleType) {
      return v.isNumber() ? v.asDouble() : null;
    } else if (type == DataTypes.BooleanType) {
      return v.isBoolean() ? v.asBoolean() : null;
    } else if (type instanceof org.apache.spark.sql.types.ArrayType) {
      List<String> items = new ArrayList<>();
      if (v instanceof ArrayNode array) {
        array.forEach(item -> items.add(item.isTextual() ? item.asText() : item.toString()));
      } else {
        items.add(v.isTextual() ? v.asText() : v.toString());
      }
      return scala.jdk.javaapi.CollectionConverters.asScala(items).toSeq();
    }
    return v.isTextual() ? v.asText() : v.toString();
  }

  private static DataType typeOf(JsonNode v) {
    if (v.isNull()) {
      return DataTypes.NullType;
    } else if (v.isIntegralNumber()) {
      return DataTypes.LongType;
    } else if (v.isNumber()) {
      return DataTypes.DoubleType;
    } else if (v.isBoolean()) {
      return DataTypes.BooleanType;
    } else if (v.isArray()) {
      return DataTypes.createArrayType(DataTypes.StringType);
    }
    return DataTypes.StringType;
  }

  private static DataType widen(DataType a, DataType b) {
    if (a.equals(b) || b == DataTypes.NullType) {
      return a;
    } else if (a == DataTypes.NullType) {
      return b;
    } else if ((a == DataTypes.LongType && b == DataTypes.DoubleType) || (a == DataTypes.DoubleType && b == DataTypes.LongType)) {
      return DataTypes.DoubleType;
    }
    return DataTypes.StringType;
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode node = JSON.readTree(line);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }
}
