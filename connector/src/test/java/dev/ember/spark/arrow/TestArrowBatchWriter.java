package dev.ember.spark.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.ScoreResult;
import dev.ember.spark.ResultColumns;
import dev.ember.spark.frame.OutputLayout;

/** Engine results (real Result and ScoreResult values) into Arrow-backed ColumnarBatches. */
class TestArrowBatchWriter {
  private BufferAllocator allocator;

  @BeforeEach
  void allocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void checkNoLeak() {
    assertEquals(0, allocator.getAllocatedMemory(), "writer must free all Arrow memory");
    allocator.close();
  }

  /** The flattened layout with bare field names, so these tests read result fields as columns. */
  private static final OutputLayout FLAT = new OutputLayout("ember", "");

  @Test
  void theResultStructWithLogprobsIsOneNestedColumn() {
    StructType input = new StructType().add("prompt", DataTypes.StringType, true);
    OutputLayout layout = OutputLayout.defaults();
    StructType schema = layout.schema(input, ResultColumns.GENERATE);
    var logprobs = List.of(
        new dev.ember.engine.api.TokenLogprob(5, " there", -0.5f, List.of(new dev.ember.engine.api.TokenLogprob.Alternative(5, " there", -0.5f))),
        new dev.ember.engine.api.TokenLogprob(6, " was", -1.5f, List.of()));
    Result r = new Result("1", " there was", new int[2], new int[3], FinishReason.LENGTH, 3, 0, 2, logprobs, null, 1_000_000);
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      writer.append(layout.values(new Object[] {"Once"}, ResultColumns.generate(r)));
      writer.append(layout.values(new Object[] {null}, ResultColumns.generate(Result.failed("2", "prompt is null", 0))));
      ColumnarBatch batch = writer.batch();
      InternalRow ember = batch.getRow(0).getStruct(1, ResultColumns.GENERATE.size());
      assertEquals(" there was", ember.getUTF8String(0).toString());
      var tokens = ember.getArray(ResultColumns.GENERATE.fieldIndex("logprobs"));
      assertEquals(2, tokens.numElements());
      InternalRow second = tokens.getStruct(1, 3);
      assertEquals(" was", second.getUTF8String(0).toString());
      assertEquals(-1.5, second.getDouble(1));
      assertEquals(1, tokens.getStruct(0, 3).getArray(2).numElements());
      InternalRow failed = batch.getRow(1).getStruct(1, ResultColumns.GENERATE.size());
      assertTrue(failed.isNullAt(ResultColumns.GENERATE.fieldIndex("logprobs")));
      assertEquals("prompt is null", failed.getUTF8String(ResultColumns.GENERATE.fieldIndex("error")).toString());
    }
  }

  private static Result ok(String id, String text, FinishReason reason, int prompt, int cached, int completion) {
    return new Result(id, text, new int[completion], new int[prompt], reason, prompt, cached, completion, null, null, 2_500_000);
  }

  @Test
  void generateResultsBecomeResultColumns() {
    StructType input = new StructType().add("id", DataTypes.LongType, false).add("prompt", DataTypes.StringType, true);
    StructType schema = FLAT.schema(input, ResultColumns.GENERATE);
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      writer.append(new Object[] {1L, "Once upon a time"}, ResultColumns.generate(ok("1", " there was a cat.", FinishReason.STOP, 5, 0, 6)));
      writer.append(new Object[] {2L, "Ünïcødé ✓"}, ResultColumns.generate(ok("2", "日本語 ✓", FinishReason.LENGTH, 7, 4, 16)));
      writer.append(new Object[] {3L, null}, ResultColumns.generate(Result.failed("3", "prompt is null", 0)));

      ColumnarBatch batch = writer.batch();
      assertEquals(3, batch.numRows());
      for (int c = 0; c < batch.numCols(); c++) {
        assertInstanceOf(ArrowColumnVector.class, batch.column(c));
        assertEquals(schema.fields()[c].dataType(), batch.column(c).dataType(), schema.fields()[c].name());
      }
      int text = schema.fieldIndex("text");
      int reason = schema.fieldIndex("finish_reason");
      int error = schema.fieldIndex("error");

      InternalRow r0 = batch.getRow(0);
      assertEquals(1L, r0.getLong(0));
      assertEquals(" there was a cat.", r0.getUTF8String(text).toString());
      assertEquals("stop", r0.getUTF8String(reason).toString());
      assertEquals(5, r0.getInt(schema.fieldIndex("prompt_tokens")));
      assertEquals(6, r0.getInt(schema.fieldIndex("completion_tokens")));
      assertEquals(2.5, r0.getDouble(schema.fieldIndex("latency_ms")));
      assertTrue(r0.isNullAt(error));

      InternalRow r1 = batch.getRow(1);
      assertEquals("Ünïcødé ✓", r1.getUTF8String(1).toString());
      assertEquals("日本語 ✓", r1.getUTF8String(text).toString());
      assertEquals("length", r1.getUTF8String(reason).toString());
      assertEquals(4, r1.getInt(schema.fieldIndex("cached_prompt_tokens")));

      InternalRow r2 = batch.getRow(2);
      assertTrue(r2.isNullAt(1));
      assertTrue(r2.isNullAt(text));
      assertEquals("error", r2.getUTF8String(reason).toString());
      assertEquals("prompt is null", r2.getUTF8String(error).toString());
    }
  }

  @Test
  void resetStartsTheNextBatchInTheSameVectors() {
    StructType schema = FLAT.schema(new StructType().add("id", DataTypes.IntegerType), ResultColumns.SCORE);
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      writer.append(new Object[] {1}, ResultColumns.score(ScoreResult.of(-12.0, 4), 1_000_000));
      assertEquals(1, writer.batch().numRows());
      writer.reset();
      writer.append(new Object[] {2}, ResultColumns.score(new ScoreResult(0, 0, 0, "text is empty"), 0));
      writer.append(new Object[] {3}, ResultColumns.score(ScoreResult.of(-2.0, 2), 0));
      ColumnarBatch batch = writer.batch();
      assertEquals(2, batch.numRows());
      assertEquals(2, batch.getRow(0).getInt(0));
      assertTrue(batch.getRow(0).isNullAt(schema.fieldIndex("logprob")));
      assertEquals("text is empty", batch.getRow(0).getUTF8String(schema.fieldIndex("error")).toString());
      assertEquals(Math.exp(1.0), batch.getRow(1).getDouble(schema.fieldIndex("perplexity")), 1e-12);
    }
  }

  @Test
  void classifyScoresBecomeAMap() {
    StructType schema = FLAT.schema(new StructType().add("id", DataTypes.IntegerType), ResultColumns.CLASSIFY);
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      writer.append(new Object[] {7}, ResultColumns.classify(List.of(" happy", " sad"), new double[] {-3.5, -1.25}, 0));
      writer.append(new Object[] {8}, ResultColumns.classifyError("prompt is empty", 0));
      ColumnarBatch batch = writer.batch();
      assertEquals(" sad", batch.getRow(0).getUTF8String(schema.fieldIndex("label")).toString());
      var map = batch.getRow(0).getMap(schema.fieldIndex("label_logprobs"));
      assertEquals(2, map.numElements());
      assertEquals(" happy", map.keyArray().getUTF8String(0).toString());
      assertEquals(-1.25, map.valueArray().getDouble(1));
      assertTrue(batch.getRow(1).isNullAt(schema.fieldIndex("label_logprobs")));
    }
  }

  @Test
  void inputColumnsOfEveryCommonTypeRoundTrip() {
    StructType schema =
        new StructType()
            .add("b", DataTypes.BooleanType)
            .add("y", DataTypes.ByteType)
            .add("s", DataTypes.ShortType)
            .add("f", DataTypes.FloatType)
            .add("bin", DataTypes.BinaryType)
            .add("d", DataTypes.DateType)
            .add("ts", DataTypes.TimestampType)
            .add("dec", DataTypes.createDecimalType(10, 2))
            .add("tags", DataTypes.createArrayType(DataTypes.StringType))
            .add("nested", new StructType().add("x", DataTypes.IntegerType));
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      writer.append(
          true, (byte) 3, (short) 4, 1.5f, new byte[] {9, 8}, LocalDate.of(2024, 2, 29),
          Instant.parse("2024-01-01T00:00:01.000002Z"), new BigDecimal("12.34"),
          scala.jdk.javaapi.CollectionConverters.asScala(List.of("a", "b")).toSeq(),
          org.apache.spark.sql.RowFactory.create(42));
      writer.append(null, null, null, null, null, null, null, null, null, null);
      ColumnarBatch batch = writer.batch();
      InternalRow r = batch.getRow(0);
      assertTrue(r.getBoolean(0));
      assertEquals(3, r.getByte(1));
      assertEquals(4, r.getShort(2));
      assertEquals(1.5f, r.getFloat(3));
      assertEquals(9, r.getBinary(4)[0]);
      assertEquals(LocalDate.of(2024, 2, 29).toEpochDay(), r.getInt(5));
      assertEquals(1_704_067_201_000_002L, r.getLong(6));
      assertEquals(Decimal.apply(new BigDecimal("12.34")), r.getDecimal(7, 10, 2));
      assertEquals("b", r.getArray(8).getUTF8String(1).toString());
      assertEquals(42, r.getStruct(9, 1).getInt(0));
      for (int c = 0; c < schema.size(); c++) {
        assertTrue(batch.getRow(1).isNullAt(c), "column " + c);
      }
    }
  }

  @Test
  void badValuesNameTheColumn() {
    StructType schema = new StructType().add("n", DataTypes.IntegerType);
    try (ArrowBatchWriter writer = new ArrowBatchWriter(schema, allocator)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.append("x"));
      assertTrue(e.getMessage().contains("'n'"), e.getMessage());
    }
  }

  @Test
  void unsupportedTypesAreRejectedUpFront() {
    StructType schema = new StructType().add("v", DataTypes.CalendarIntervalType);
    assertThrows(IllegalArgumentException.class, () -> new ArrowBatchWriter(schema, allocator));
  }

}
