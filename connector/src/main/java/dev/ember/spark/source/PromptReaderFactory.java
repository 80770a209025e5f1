package dev.ember.spark.source;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/** Columnar only: results are built in Arrow, so there is no row reader. */
record PromptReaderFactory(ReaderContext ctx) implements PartitionReaderFactory {
  @Override
  public PartitionReader<InternalRow> createReader(InputPartition partition) {
    throw new UnsupportedOperationException("the ember source reads columnar batches only");
  }

  @Override
  public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
    return new PromptBatchReader((PromptSplit) partition, ctx);
  }

  @Override
  public boolean supportColumnarReads(InputPartition partition) {
    return true;
  }
}
