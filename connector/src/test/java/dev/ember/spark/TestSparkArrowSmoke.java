package dev.ember.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.Test;

/** Guards the JDK 25 setup: Spark and Arrow both need the module flags from ${ember.jvm.flags}. */
class TestSparkArrowSmoke extends SparkTestBase {

  @Test
  void localSessionRunsAJob() {
    long count = spark.createDataset(List.of(1, 2, 3, 4, 5), Encoders.INT()).repartition(2).count();
    assertEquals(5, count);
  }

  @Test
  void arrowAllocatesAndWrapsAsColumnarBatch() {
    // Without --sun-misc-unsafe-memory-access=allow, RootAllocator fails to initialise on JDK 25.
    try (BufferAllocator allocator = new RootAllocator();
        IntVector ints = new IntVector("i", allocator)) {
      ints.allocateNew(3);
      for (int i = 0; i < 3; i++) {
        ints.set(i, i * 10);
      }
      ints.setValueCount(3);
      ColumnarBatch batch = new ColumnarBatch(new ColumnVector[] {new ArrowColumnVector(ints)}, 3);
      assertEquals(20, batch.getRow(2).getInt(0));
    }
  }
}
