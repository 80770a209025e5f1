package dev.ember.spark.source;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.connector.read.V1Scan;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.TableScan;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.frame.Ember;

/**
 * The scan of an input Spark reads itself ({@link PromptInput.Frame}): the input DataFrame run
 * through {@link Ember#run}, the pipeline of the DataFrame API, so its partitions are Spark's own
 * (spread over the cores when there are fewer) and its columns keep their types. A DSv2 scan can
 * hand Spark an RDD only as a {@link V1Scan}: Spark plans it as a row scan over
 * {@link TableScan#buildScan}, which is called when the query is planned (so each run of the query
 * reads the input afresh) and returns the result's own InternalRows, unconverted. Token counts go
 * to the named accumulators ({@code ember generate rows}, ...) that the UI shows per stage; the
 * scan node's own token metrics are the line-file scan's ({@link EmberScan}).
 */
final class FrameScan implements V1Scan {
  private final SourceOptions options;
  private final PromptInput.Frame input;
  private final StructType output;

  FrameScan(SourceOptions options, PromptInput.Frame input, StructType output) {
    this.options = options;
    this.input = input;
    this.output = output;
  }

  @Override
  public StructType readSchema() {
    return output;
  }

  @Override
  public String description() {
    return "EmberScan(task=" + options.task().name() + ", model=" + options.ember().model() + ", input=" + input.source() + ")";
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends BaseRelation & TableScan> T toV1TableScan(SQLContext context) {
    return (T) new Relation(context);
  }

  private final class Relation extends BaseRelation implements TableScan {
    private final SQLContext context;

    Relation(SQLContext context) {
      this.context = context;
    }

    @Override
    public SQLContext sqlContext() {
      return context;
    }

    @Override
    public StructType schema() {
      return output;
    }

    /** buildScan returns InternalRows (the result's own), not Rows. */
    @Override
    public boolean needConversion() {
      return false;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public RDD<Row> buildScan() {
      Dataset<Row> results = Ember.run(input.rows(), options.task(), options.ember());
      if (!results.schema().equals(output)) {
        // Spark would read the rows with the wrong layout; say so instead.
        throw new IllegalStateException("Ember: the results' schema " + results.schema().simpleString()
            + " differs from the table's " + output.simpleString() + " (did the input change during planning?)");
      }
      return (RDD) results.queryExecution().toRdd();
    }

    @Override
    public String toString() {
      return description();
    }
  }
}
