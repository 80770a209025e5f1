package dev.ember.spark.source;

import java.util.Set;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import dev.ember.spark.frame.ModelPreflight;
import dev.ember.spark.frame.RowRequests;

/** A prompt dataset seen through the model: its columns plus the task's result struct. */
final class EmberTable implements SupportsRead {
  private final SourceOptions options;
  private final PromptLines lines;
  private final StructType schema;
  private final SplitPlanner.Plan plan;

  /** {@code last}: the load()'s last look at the input (getTable), after which its staged copy is not reused. */
  EmberTable(CaseInsensitiveStringMap map, boolean last) {
    var spark = SparkSession.active();
    SourceOptions parsed = SourceOptions.parse(map, scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
    this.options = StagedInput.asJsonLines(parsed, spark, map.getBoolean("header", true), last);
    var conf = spark.sparkContext().hadoopConfiguration();
    ModelPreflight.check(options.ember().model(), options.ember().modelSha256(), conf);
    boolean json = options.format().equals("json");
    int maxTokens = options.task().name().equals("generate") ? options.ember().sampling().maxTokens() : 0;
    this.plan = SplitPlanner.plan(options.path(), conf, options.partitionTokens(), maxTokens);
    StructType input = PromptLines.infer(json, options.ember().promptColumn(), plan.sample());
    new RowRequests(input, options.ember()); // fails fast on missing or mistyped columns
    this.lines = new PromptLines(json, input);
    this.schema = options.ember().output().schema(input, options.task().resultType());
  }

  @Override
  public String name() {
    return "ember(" + (options.path()) + ")";
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
    return () -> new EmberScan(options, lines, schema, plan);
  }
}
