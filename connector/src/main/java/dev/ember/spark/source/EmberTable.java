package dev.ember.spark.source;

import java.util.Set;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import dev.ember.spark.frame.ModelPreflight;
import dev.ember.spark.frame.RowRequests;

/** A prompt dataset seen through the model: its columns plus the task's results. */
final class EmberTable implements SupportsRead {
  private final SourceOptions options;
  private final PromptInput input;
  private final StructType schema;

  /** {@code inferred}: this table's schema as inferSchema gave it (getTable), or null (inferSchema itself). */
  EmberTable(CaseInsensitiveStringMap map, StructType inferred) {
    var spark = SparkSession.active();
    this.options = SourceOptions.parse(map, scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
    var conf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(options.ember().model(), options.ember().modelSha256(), conf);
    StructType knownInput = inferred == null ? null : inputPart(inferred);
    this.input = PromptInput.open(options, spark, map.getBoolean("header", true), knownInput);
    new RowRequests(input.schema(), options.ember()); // fails fast on missing or mistyped columns
    this.schema = options.ember().output().schema(input.schema(), options.task().resultType());
  }

  /** The input's columns of an output schema: all but the trailing result column(s). */
  private StructType inputPart(StructType output) {
    int inputColumns = output.size() - options.ember().output().width(options.task().resultType());
    return new StructType(java.util.Arrays.copyOf(output.fields(), Math.max(0, inputColumns), StructField[].class));
  }

  @Override
  public String name() {
    return "ember(" + options.input() + ")";
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public Set<TableCapability> capabilities() {
    return Set.of(TableCapability.BATCH_READ);
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap ignored) {
    return () -> input.scan(options, schema);
  }
}
