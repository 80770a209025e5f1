package dev.ember.spark.source;

import java.util.Map;

import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * {@code spark.read.format("ember")}: reads prompts (JSON Lines or text files, Parquet, CSV, or a
 * table or view) and returns each row with the model's results. See {@link SourceOptions} for the
 * options and {@link PromptInput} for how each kind of input is read.
 */
public final class EmberSource implements TableProvider, DataSourceRegister {
  @Override
  public String shortName() {
    return "ember";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return new EmberTable(options, null).schema();
  }

  /** Spark passes the schema {@link #inferSchema} gave, so the input's own schema is not inferred twice. */
  @Override
  public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new EmberTable(new CaseInsensitiveStringMap(properties), schema);
  }
}
