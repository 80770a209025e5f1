package dev.ember.spark.source;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.executor.SerializableConfiguration;
import dev.ember.spark.frame.EngineTarget;
import dev.ember.spark.frame.RowRequests;

/** The scan: partitions planned by estimated tokens, columnar Arrow batches, token metrics. */
final class EmberScan implements Scan, Batch {
  private final SourceOptions options;
  private final PromptLines lines;
  private final StructType outputSchema;
  private final SplitPlanner.Plan plan;

  EmberScan(SourceOptions options, PromptLines lines, StructType outputSchema, SplitPlanner.Plan plan) {
    this.options = options;
    this.lines = lines;
    this.outputSchema = outputSchema;
    this.plan = plan;
  }

  @Override
  public StructType readSchema() {
    return outputSchema;
  }

  @Override
  public String description() {
    return "EmberScan(task=" + options.task().name() + ", model=" + options.ember().model() + ", path=" + options.path()
        + ", partitions=" + plan.splits().size() + ")";
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public ColumnarSupportMode columnarSupportMode() {
    return ColumnarSupportMode.SUPPORTED;
  }

  @Override
  public CustomMetric[] supportedCustomMetrics() {
    return EmberMetrics.supported();
  }

  @Override
  public InputPartition[] planInputPartitions() {
    return plan.splits().toArray(new InputPartition[0]);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    SparkSession spark = SparkSession.active();
    var conf =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
    RowRequests requests = new RowRequests(lines.schema(), options.ember());
    ReaderContext ctx =
        new ReaderContext(
            options.task(),
            options.ember().errors(),
            options.ember().output(),
            lines,
            requests,
            outputSchema,
            EngineTarget.of(options.ember(), conf),
            conf,
            options.ember().resolvedInflight(),
            options.batchRows());
    return new PromptReaderFactory(ctx);
  }
}
