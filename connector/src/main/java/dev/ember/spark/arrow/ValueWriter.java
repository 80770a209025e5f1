package dev.ember.spark.arrow;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.spark.sql.Row;

import scala.jdk.javaapi.CollectionConverters;

/**
 * Writes one external (Row-style) Java value into an Arrow vector at an index. Values are what a
 * Spark {@link Row} holds (String, boxed numbers, byte[], Date/LocalDate, Timestamp/Instant,
 * BigDecimal, Seq or List, scala or java Map, Row) or what {@code ResultColumns} produces.
 */
@FunctionalInterface
interface ValueWriter {
  void write(int index, Object value);

  static ValueWriter forVector(FieldVector vector) {
    ValueWriter nonNull = nonNull(vector);
    return (index, value) -> {
      if (value == null) {
        setNull(vector, index);
      } else {
        nonNull.write(index, value);
      }
    };
  }

  private static void setNull(FieldVector vector, int index) {
    switch (vector) {
      case ListVector v -> v.setNull(index); // MapVector too
      case StructVector v -> v.setNull(index);
      case org.apache.arrow.vector.BaseFixedWidthVector v -> v.setNull(index);
      case org.apache.arrow.vector.BaseVariableWidthVector v -> v.setNull(index);
      default -> throw new IllegalStateException("no null for " + vector.getClass().getSimpleName());
    }
  }

  private static ValueWriter nonNull(FieldVector vector) {
    return switch (vector) {
      case VarCharVector v -> (i, x) -> v.setSafe(i, x.toString().getBytes(StandardCharsets.UTF_8));
      case IntVector v -> (i, x) -> v.setSafe(i, ((Number) x).intValue());
      case BigIntVector v -> (i, x) -> v.setSafe(i, ((Number) x).longValue());
      case SmallIntVector v -> (i, x) -> v.setSafe(i, ((Number) x).shortValue());
      case TinyIntVector v -> (i, x) -> v.setSafe(i, ((Number) x).byteValue());
      case BitVector v -> (i, x) -> v.setSafe(i, ((Boolean) x) ? 1 : 0);
      case Float4Vector v -> (i, x) -> v.setSafe(i, ((Number) x).floatValue());
      case Float8Vector v -> (i, x) -> v.setSafe(i, ((Number) x).doubleValue());
      case VarBinaryVector v -> (i, x) -> v.setSafe(i, (byte[]) x);
      case DateDayVector v -> (i, x) -> v.setSafe(i, (int) epochDay(x));
      case TimeStampMicroTZVector v -> (i, x) -> v.setSafe(i, epochMicros(x));
      case TimeStampMicroVector v -> (i, x) -> v.setSafe(i, localMicros(x));
      case DecimalVector v -> (i, x) -> v.setSafe(i, ((BigDecimal) x).setScale(v.getScale()));
      case MapVector v -> mapWriter(v);
      case ListVector v -> listWriter(v);
      case StructVector v -> structWriter(v);
      default -> throw new IllegalArgumentException("unsupported Arrow vector " + vector.getClass().getSimpleName());
    };
  }

  private static ValueWriter listWriter(ListVector vector) {
    ValueWriter element = forVector((FieldVector) vector.getDataVector());
    return (index, value) -> {
      List<?> items = asList(value);
      int start = vector.startNewValue(index);
      for (int j = 0; j < items.size(); j++) {
        element.write(start + j, items.get(j));
      }
      vector.endValue(index, items.size());
    };
  }

  private static ValueWriter mapWriter(MapVector vector) {
    StructVector entries = (StructVector) vector.getDataVector();
    ValueWriter key = forVector((FieldVector) entries.getChildrenFromFields().get(0));
    ValueWriter val = forVector((FieldVector) entries.getChildrenFromFields().get(1));
    return (index, value) -> {
      Map<?, ?> map = asMap(value);
      int start = vector.startNewValue(index);
      int j = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        entries.setIndexDefined(start + j);
        key.write(start + j, e.getKey());
        val.write(start + j, e.getValue());
        j++;
      }
      vector.endValue(index, map.size());
    };
  }

  private static ValueWriter structWriter(StructVector vector) {
    List<ValueWriter> children = new ArrayList<>();
    for (FieldVector child : vector.getChildrenFromFields()) {
      children.add(forVector(child));
    }
    return (index, value) -> {
      Row row = (Row) value;
      vector.setIndexDefined(index);
      for (int c = 0; c < children.size(); c++) {
        children.get(c).write(index, row.get(c));
      }
    };
  }

  private static List<?> asList(Object value) {
    return switch (value) {
      case List<?> l -> l;
      case Collection<?> c -> new ArrayList<>(c);
      case scala.collection.Seq<?> s -> CollectionConverters.asJava(s);
      case Object[] a -> List.of(a);
      default -> throw new IllegalArgumentException("not an array value: " + value.getClass().getName());
    };
  }

  private static Map<?, ?> asMap(Object value) {
    return switch (value) {
      case Map<?, ?> m -> m;
      case scala.collection.Map<?, ?> m -> CollectionConverters.asJava(m);
      default -> throw new IllegalArgumentException("not a map value: " + value.getClass().getName());
    };
  }

  private static long epochDay(Object value) {
    return switch (value) {
      case LocalDate d -> d.toEpochDay();
      case Date d -> d.toLocalDate().toEpochDay();
      default -> throw new IllegalArgumentException("not a date value: " + value.getClass().getName());
    };
  }

  private static long epochMicros(Object value) {
    Instant instant =
        switch (value) {
          case Instant t -> t;
          case Timestamp t -> t.toInstant();
          default -> throw new IllegalArgumentException("not a timestamp value: " + value.getClass().getName());
        };
    return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
  }

  private static long localMicros(Object value) {
    LocalDateTime time = (LocalDateTime) value;
    return ChronoUnit.MICROS.between(Instant.EPOCH, time.toInstant(ZoneOffset.UTC));
  }
}
