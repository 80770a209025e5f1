package dev.ember.spark.arrow;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Appends rows of external Java values (input columns followed by {@code ResultColumns} values)
 * into Arrow vectors and exposes them as a Spark {@link ColumnarBatch} of
 * {@link ArrowColumnVector}s, for columnar readers.
 *
 * <p>The writer owns the vectors: a batch from {@link #batch()} is valid until {@link #reset()}
 * (which the reader calls before filling the next batch) or {@link #close()}. The vectors are
 * Spark's own Arrow 19 classes, never shaded, because {@code ArrowColumnVector} is typed on them.
 */
public final class ArrowBatchWriter implements AutoCloseable {
  private final StructType schema;
  private final VectorSchemaRoot root;
  private final List<ValueWriter> writers = new ArrayList<>();
  private final ColumnarBatch batch;
  private int rows;

  public ArrowBatchWriter(StructType schema, BufferAllocator allocator) {
    this.schema = schema;
    this.root = VectorSchemaRoot.create(ArrowFields.schema(schema), allocator);
    ColumnVector[] columns = new ColumnVector[root.getFieldVectors().size()];
    for (int i = 0; i < columns.length; i++) {
      FieldVector vector = root.getFieldVectors().get(i);
      vector.allocateNew();
      writers.add(ValueWriter.forVector(vector));
      columns[i] = new ArrowColumnVector(vector);
    }
    this.batch = new ColumnarBatch(columns, 0);
  }

  public StructType schema() {
    return schema;
  }

  /** Appends one row; {@code values} follow the schema's column order. */
  public void append(Object... values) {
    if (values.length != writers.size()) {
      throw new IllegalArgumentException("expected " + writers.size() + " values, got " + values.length);
    }
    for (int c = 0; c < values.length; c++) {
      try {
        writers.get(c).write(rows, values[c]);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot write column '" + schema.fields()[c].name() + "' of row " + rows + ": " + e.getMessage(), e);
      }
    }
    rows++;
  }

  /** Appends one row made of input values followed by result values. */
  public void append(Object[] input, Object[] results) {
    Object[] row = new Object[input.length + results.length];
    System.arraycopy(input, 0, row, 0, input.length);
    System.arraycopy(results, 0, row, input.length, results.length);
    append(row);
  }

  public int rows() {
    return rows;
  }

  /** The rows appended since the last reset, as a batch that reads the vectors in place. */
  public ColumnarBatch batch() {
    root.setRowCount(rows);
    batch.setNumRows(rows);
    return batch;
  }

  /** Starts a new batch, reusing the vectors' memory. */
  public void reset() {
    for (FieldVector v : root.getFieldVectors()) {
      v.reset();
    }
    rows = 0;
    batch.setNumRows(0);
  }

  @Override
  public void close() {
    root.close();
  }
}
